import { AdminUser, api, Page, qs } from '../api';
import { navigate, useLocation } from '../router';
import { ErrorNote, Pager, useDraft, useLoad, usePager, when } from '../ui';

export function Users() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const status = query.get('status') ?? '';
  const [draft, setDraft] = useDraft(q, q);
  const search = (next: { q?: string; status?: string }) =>
    navigate(`/users${qs({ q: next.q ?? q, status: next.status ?? status })}`);

  return (
    <section>
      <h1>Users</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          search({ q: draft.trim() });
        }}
      >
        <label for="user-q">Email or name</label>
        <input id="user-q" type="search" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        <label for="user-status">Status</label>
        <select id="user-status" value={status} onChange={(e) => search({ status: e.currentTarget.value })}>
          <option value="">All</option>
          <option value="active">Active</option>
          <option value="suspended">Suspended</option>
        </select>
        <button type="submit">Search</button>
      </form>
      {/* a new search starts again at its first page */}
      <Results key={`${q}|${status}`} q={q} status={status} />
    </section>
  );
}

function Results({ q, status }: { q: string; status: string }) {
  const pager = usePager();
  const list = useLoad(
    () => api<Page<AdminUser>>('GET', `/admin/users${qs({ q, status, cursor: pager.cursor, limit: 20 })}`),
    [pager.cursor],
  );
  return (
    <div>
      <ErrorNote error={list.error} />
      {list.data && list.data.data.length === 0 && <p class="empty">No user matches.</p>}
      {list.data && list.data.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Status</th>
              <th>Plan</th>
              <th>Joined</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((u) => (
              <tr key={u.id}>
                <td>
                  <a href={`/admin/users/${u.id}`}>{u.email}</a>
                  {u.role === 'admin' && <span class="tag">admin</span>}
                </td>
                <td>{u.display_name}</td>
                <td>
                  <span class={`status ${u.status}`}>{u.status}</span>
                </td>
                <td>{u.plan_id}</td>
                <td>{when(u.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pager={pager} nextCursor={list.data?.next_cursor} />
    </div>
  );
}
