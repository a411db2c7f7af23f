import { Fragment } from 'preact';
import { api, AuditEntry, Page, qs } from '../api';
import { navigate, useLocation } from '../router';
import { ErrorNote, Pager, useDraft, useLoad, usePager, when } from '../ui';

const userLink = (id: string) => <a href={`/admin/users/${id}`}>{id}</a>;

export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <p class="empty">No entries.</p>;
  return (
    <table class="audit">
      <thead>
        <tr>
          <th>When</th>
          <th>Actor</th>
          <th>Action</th>
          <th>Target</th>
          <th>Why</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id}>
            <td>{when(e.created_at)}</td>
            <td>{e.actor_id ? userLink(e.actor_id) : 'system'}</td>
            <td>
              <code>{e.action}</code>
            </td>
            <td>
              {e.target_type} {e.target_type === 'user' ? userLink(e.target_id) : <code>{e.target_id}</code>}
            </td>
            <td>{e.reason ?? '—'}</td>
            <td>{e.data ? <code>{JSON.stringify(e.data)}</code> : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const FILTERS = [
  ['actor_id', 'Actor id'],
  ['target_id', 'Target id'],
  ['action', 'Action (e.g. user.suspend)'],
] as const;

export function Audit() {
  const { query } = useLocation();
  const current = Object.fromEntries(FILTERS.map(([k]) => [k, query.get(k) ?? ''])) as Record<string, string>;
  const key = FILTERS.map(([k]) => current[k]).join('|');
  const [draft, setDraft] = useDraft(current, key);
  return (
    <section>
      <h1>Audit log</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/audit${qs(Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim()])))}`);
        }}
      >
        {FILTERS.map(([k, label]) => (
          <Fragment key={k}>
            <label for={`audit-${k}`}>{label}</label>
            <input
              id={`audit-${k}`}
              value={draft[k]}
              onInput={(e) => setDraft({ ...draft, [k]: e.currentTarget.value })}
            />
          </Fragment>
        ))}
        <button type="submit">Filter</button>
      </form>
      <Entries key={key} filter={current} />
    </section>
  );
}

function Entries({ filter }: { filter: Record<string, string> }) {
  const pager = usePager();
  const list = useLoad(
    () =>
      api<Page<AuditEntry>>('GET', `/admin/audit-log${qs({ ...filter, cursor: pager.cursor, limit: 25 })}`),
    [pager.cursor],
  );
  return (
    <div>
      <ErrorNote error={list.error} />
      {list.data && <AuditTable entries={list.data.data} />}
      <Pager pager={pager} nextCursor={list.data?.next_cursor} />
    </div>
  );
}
