import { useEffect, useState } from 'preact/hooks';
import { api, Maintenance as State } from '../api';
import { ConfirmAction, ErrorNote, useLoad } from '../ui';

export function Maintenance() {
  const state = useLoad(() => api<State>('GET', '/admin/maintenance'), []);
  const [message, setMessage] = useState('');
  useEffect(() => setMessage(state.data?.message ?? ''), [state.data]);
  if (state.error) return <ErrorNote error={state.error} />;
  const s = state.data;
  if (!s) return <p class="loading">Loading…</p>;
  return (
    <section>
      <h1>Maintenance</h1>
      <article class="card">
        <p>
          Maintenance mode is{' '}
          <strong class={`status ${s.enabled ? 'suspended' : 'active'}`}>{s.enabled ? 'on' : 'off'}</strong>
          {s.enabled && s.message ? ` — “${s.message}”` : ''}
        </p>
        <p class="hint">
          While it is on, everyone but admins gets “Platform is undergoing maintenance.” (503); health checks
          stay up.
        </p>
        <label for="maintenance-message">Message shown to users</label>
        <textarea
          id="maintenance-message"
          rows={2}
          maxLength={500}
          value={message}
          onInput={(e) => setMessage(e.currentTarget.value)}
        />
        <div class="actions">
          <ConfirmAction
            label={s.enabled ? 'Turn maintenance off' : 'Turn maintenance on'}
            danger={!s.enabled}
            consequence={
              s.enabled
                ? 'Open the platform to everyone again?'
                : 'Close the platform to everyone but admins? Their requests are refused until you turn it off.'
            }
            onConfirm={() =>
              api('PUT', '/admin/maintenance', {
                body: { enabled: !s.enabled, ...(message.trim() ? { message: message.trim() } : {}) },
              })
            }
            onDone={state.reload}
          />
        </div>
      </article>
    </section>
  );
}
