import { api, BackstageRequest, Page, qs } from '../api';
import { navigate, useLocation } from '../router';
import { ConfirmAction, ErrorNote, Pager, useLoad, usePager, when } from '../ui';

const STATUSES = ['pending', 'approved', 'denied', 'revoked'];

export function Backstage() {
  const { query } = useLocation();
  const status = query.get('status') ?? 'pending';
  return (
    <section>
      <h1>Backstage requests</h1>
      <div class="filters">
        <label for="bs-status">Status</label>
        <select
          id="bs-status"
          value={status}
          onChange={(e) => navigate(`/backstage${qs({ status: e.currentTarget.value })}`)}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <Requests key={status} status={status} />
    </section>
  );
}

function Requests({ status }: { status: string }) {
  const pager = usePager();
  const list = useLoad(
    () =>
      api<Page<BackstageRequest>>(
        'GET',
        `/admin/backstage/requests${qs({ status, cursor: pager.cursor, limit: 20 })}`,
      ),
    [pager.cursor],
  );
  return (
    <div>
      <ErrorNote error={list.error} />
      {list.data?.data.length === 0 && <p class="empty">No {status} requests.</p>}
      {list.data?.data.map((r) => (
        <RequestCard key={r.id} request={r} onDone={list.reload} />
      ))}
      <Pager pager={pager} nextCursor={list.data?.next_cursor} />
    </div>
  );
}

const safeLink = (url: string) => /^https?:\/\//i.test(url);

function RequestCard({ request: r, onDone }: { request: BackstageRequest; onDone: () => void }) {
  const decide = (action: 'approve' | 'deny' | 'revoke') => (notes: string) =>
    api('POST', `/admin/backstage/requests/${r.id}/${action}`, { body: notes ? { notes } : {} });
  const who = `${r.first_name} ${r.last_name}`;
  return (
    <article class="card request" aria-label={`Request ${r.id}`}>
      <h2>
        {r.type} · {who} <span class={`status ${r.status}`}>{r.status}</span>
      </h2>
      <dl>
        <dt>User</dt>
        <dd>
          <a href={`/admin/users/${r.user_id}`}>{r.user_id}</a>
        </dd>
        <dt>Sent</dt>
        <dd>{when(r.created_at)}</dd>
        {r.beats_link && (
          <>
            <dt>Beats</dt>
            <dd>
              {safeLink(r.beats_link) ? (
                <a href={r.beats_link} target="_blank" rel="noopener noreferrer">
                  {r.beats_link}
                </a>
              ) : (
                r.beats_link
              )}
            </dd>
          </>
        )}
        {r.artist_id && (
          <>
            <dt>Artist</dt>
            <dd>
              <code>{r.artist_id}</code>
            </dd>
          </>
        )}
        {r.message && (
          <>
            <dt>Message</dt>
            <dd class="pre">{r.message}</dd>
          </>
        )}
        {r.decided_at && (
          <>
            <dt>Decided</dt>
            <dd>
              {when(r.decided_at)} by{' '}
              {r.decided_by ? <a href={`/admin/users/${r.decided_by}`}>{r.decided_by}</a> : '—'}
            </dd>
            <dt>Notes</dt>
            <dd>{r.decision_notes ?? '—'}</dd>
          </>
        )}
      </dl>
      <div class="actions">
        {r.status === 'pending' && (
          <>
            <ConfirmAction
              label="Approve"
              field={{ label: 'Notes for the applicant' }}
              consequence={`Approve ${who}'s ${r.type} request?`}
              onConfirm={decide('approve')}
              onDone={onDone}
            />
            <ConfirmAction
              label="Deny"
              field={{ label: 'Notes for the applicant' }}
              consequence={`Deny ${who}'s ${r.type} request? They may apply again.`}
              onConfirm={decide('deny')}
              onDone={onDone}
            />
          </>
        )}
        {(r.status === 'pending' || r.status === 'approved') && (
          <ConfirmAction
            label="Revoke"
            danger
            field={{ label: 'Notes for the applicant' }}
            consequence={`Revoke ${who}'s ${r.type} request? It blocks every new request of theirs${r.status === 'approved' && r.type !== 'become-artist' ? ' and takes the artist verification back' : ''}.`}
            onConfirm={decide('revoke')}
            onDone={onDone}
          />
        )}
      </div>
    </article>
  );
}
