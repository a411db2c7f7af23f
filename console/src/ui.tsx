import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** An error as the admin reads it: the catalogue's sentence, plus field messages on validation. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e =
    error instanceof ApiError ? error : new ApiError(0, 'client', 'Something went wrong in the console.');
  const fields = Object.entries(e.fields);
  return (
    <div class="error" role="alert" data-code={e.code}>
      <p>{e.message}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map(([field, list]) => (
            <li key={field}>
              {field}: {list.join(' ')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** Loads on mount and when `deps` change; `reload` loads again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

export const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

export const money = (cents: number, currency: string): string =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(
    cents / 100,
  );

/**
 * A change in two steps: the admin writes why (when asked), then confirms what will happen.
 * Nothing is sent before the confirmation.
 */
export function ConfirmAction(props: {
  label: string;
  /** what confirming does, in one sentence */
  consequence: string;
  /** the text the admin must write (reason, note), or none */
  field?: { label: string; minLength?: number; required?: boolean };
  danger?: boolean;
  onConfirm: (text: string) => Promise<unknown>;
  onDone?: () => void;
}) {
  const [stage, setStage] = useState<'idle' | 'writing' | 'confirming' | 'sending'>('idle');
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const id = useId();
  const cancel = () => {
    setStage('idle');
    setText('');
    setError(null);
  };
  const confirm = async () => {
    setStage('sending');
    setError(null);
    try {
      await props.onConfirm(text.trim());
      cancel();
      props.onDone?.();
    } catch (e) {
      setError(e);
      setStage('confirming');
    }
  };
  if (stage === 'idle') {
    return (
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        onClick={() => setStage(props.field ? 'writing' : 'confirming')}
      >
        {props.label}…
      </button>
    );
  }
  return (
    <div class="confirm">
      {props.field && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setStage('confirming');
          }}
        >
          <label for={id}>{props.field.label}</label>
          <textarea
            id={id}
            value={text}
            rows={2}
            required={props.field.required}
            minLength={props.field.minLength}
            disabled={stage !== 'writing'}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          {stage === 'writing' && (
            <div class="row">
              <button type="submit">Continue</button>
              <button type="button" class="quiet" onClick={cancel}>
                Cancel
              </button>
            </div>
          )}
        </form>
      )}
      {stage !== 'writing' && (
        <div class="confirm-step" role="group" aria-label="Confirmation">
          <p>{props.consequence}</p>
          <ErrorNote error={error} />
          <div class="row">
            <button
              type="button"
              class={props.danger ? 'danger' : 'primary'}
              disabled={stage === 'sending'}
              onClick={() => void confirm()}
            >
              Confirm: {props.label.toLowerCase()}
            </button>
            <button type="button" class="quiet" onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

/** Cursor pagination: the cursors of the pages before this one are kept to go back. */
export function usePager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    reset: () => setCursors([null]),
    next: (c: string) => setCursors((list) => [...list, c]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
  };
}

export function Pager(props: { pager: ReturnType<typeof usePager>; nextCursor: string | null | undefined }) {
  const { pager, nextCursor } = props;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="quiet" disabled={pager.page <= 1} onClick={pager.previous}>
        ← Previous
      </button>
      <span>Page {pager.page}</span>
      <button
        type="button"
        class="quiet"
        disabled={!nextCursor}
        onClick={() => nextCursor && pager.next(nextCursor)}
      >
        Next →
      </button>
    </nav>
  );
}

/**
 * A form field's draft that follows `value` (e.g. the URL's query) when `value` changes, and only
 * then: what the admin types right after the page opens is never overwritten by the first effect.
 */
export function useDraft<T>(value: T, key: string): [T, (next: T) => void] {
  const [draft, setDraft] = useState(value);
  const last = useRef(key);
  useEffect(() => {
    if (last.current === key) return;
    last.current = key;
    setDraft(value);
  }, [key]);
  return [draft, setDraft];
}
