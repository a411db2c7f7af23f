import { useState } from 'preact/hooks';
import { AdminUser, api, AuditEntry, Page, Plan, qs } from '../api';
import { AuditTable } from './Audit';
import { ConfirmAction, ErrorNote, useLoad, when } from '../ui';

/** Permissions an admin grants or revokes (src/modules/accounts/permissions.ts). */
const PERMISSIONS = ['backstage_requests.create'];

export function User({ id }: { id: string }) {
  const user = useLoad(() => api<AdminUser>('GET', `/admin/users/${encodeURIComponent(id)}`), [id]);
  const audit = useLoad(
    () => api<Page<AuditEntry>>('GET', `/admin/audit-log${qs({ target_id: id, limit: 10 })}`),
    [id],
  );
  const plans = useLoad(() => api<{ data: Plan[] }>('GET', '/plans'), []);
  const [done, setDone] = useState<string | null>(null);
  const refresh = (message: string) => {
    setDone(message);
    user.reload();
    audit.reload();
  };

  if (user.error) return <ErrorNote error={user.error} />;
  const u = user.data;
  if (!u) return <p class="loading">Loading…</p>;
  return (
    <section>
      <p class="crumbs">
        <a href="/admin/users">Users</a> / {u.email}
      </p>
      <h1>
        {u.display_name} <span class={`status ${u.status}`}>{u.status}</span>
      </h1>
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      <div class="grid">
        <article class="card">
          <h2>Profile</h2>
          <dl>
            <dt>Email</dt>
            <dd>{u.email}</dd>
            <dt>Id</dt>
            <dd>
              <code>{u.id}</code>
            </dd>
            <dt>Role</dt>
            <dd>{u.role}</dd>
            <dt>Email verified</dt>
            <dd>{u.email_verified ? 'yes' : 'no'}</dd>
            <dt>Joined</dt>
            <dd>{when(u.created_at)}</dd>
            {u.status === 'suspended' && (
              <>
                <dt>Suspended</dt>
                <dd>{when(u.suspended_at)}</dd>
                <dt>Reason</dt>
                <dd>{u.suspended_reason}</dd>
              </>
            )}
          </dl>
          <div class="actions">
            {u.status === 'active' ? (
              <ConfirmAction
                label="Suspend"
                danger
                field={{ label: 'Reason (shown in the audit log)', minLength: 3, required: true }}
                consequence={`Suspend ${u.email}? Every request of theirs is refused from the next one on, with the tokens they already hold.`}
                onConfirm={(reason) =>
                  api('POST', `/admin/users/${u.id}/suspend`, { body: { reason }, ifMatch: u.version })
                }
                onDone={() => refresh(`${u.email} is suspended.`)}
              />
            ) : (
              <ConfirmAction
                label="Reinstate"
                field={{ label: 'Note (shown in the audit log)', minLength: 3, required: true }}
                consequence={`Reinstate ${u.email}? They can sign in and use the platform again.`}
                onConfirm={(note) =>
                  api('POST', `/admin/users/${u.id}/reinstate`, { body: { note }, ifMatch: u.version })
                }
                onDone={() => refresh(`${u.email} is reinstated.`)}
              />
            )}
          </div>
        </article>

        <article class="card">
          <h2>Plan</h2>
          <p>
            Current plan: <strong>{u.plan_id}</strong>
          </p>
          <PlanOverride user={u} plans={plans.data?.data ?? []} onDone={refresh} />
        </article>

        <article class="card">
          <h2>Permissions</h2>
          <ul class="plain">
            {PERMISSIONS.map((p) => {
              const held = u.permissions.includes(p);
              return (
                <li key={p}>
                  <code>{p}</code>{' '}
                  {held ? <span class="tag ok">granted</span> : <span class="tag">not held</span>}
                  <ConfirmAction
                    label={held ? `Revoke ${p}` : `Grant ${p}`}
                    danger={held}
                    consequence={
                      held
                        ? `Revoke ${p} from ${u.email}? They can no longer do what it allows.`
                        : `Grant ${p} to ${u.email}?`
                    }
                    onConfirm={() =>
                      api('PUT', `/admin/users/${u.id}/permissions`, {
                        body: held ? { revoke: [p] } : { grant: [p] },
                        ifMatch: u.version,
                      })
                    }
                    onDone={() => refresh(held ? `${p} revoked.` : `${p} granted.`)}
                  />
                </li>
              );
            })}
          </ul>
        </article>

        <article class="card">
          <h2>Artist</h2>
          {u.artist ? (
            <dl>
              <dt>Name</dt>
              <dd>{u.artist.name}</dd>
              <dt>Slug</dt>
              <dd>{u.artist.slug}</dd>
              <dt>Verified</dt>
              <dd>{u.artist.verified ? 'yes' : 'no'}</dd>
              <dt>Id</dt>
              <dd>
                <code>{u.artist.id}</code>
              </dd>
            </dl>
          ) : (
            <p class="empty">No artist profile.</p>
          )}
        </article>
      </div>

      <h2>Recent audit entries</h2>
      <ErrorNote error={audit.error} />
      {audit.data && <AuditTable entries={audit.data.data} />}
      <p>
        <a href={`/admin/audit${qs({ target_id: u.id })}`}>All entries about this user</a>
      </p>
    </section>
  );
}

function PlanOverride(props: { user: AdminUser; plans: Plan[]; onDone: (m: string) => void }) {
  const { user, plans } = props;
  const [plan, setPlan] = useState(user.plan_id);
  return (
    <div>
      <label for="plan">Override plan</label>
      <select id="plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
        {plans.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} ({p.id})
          </option>
        ))}
      </select>
      {plan !== user.plan_id && (
        <ConfirmAction
          label="Change plan"
          consequence={`Move ${user.email} from ${user.plan_id} to ${plan}? Their request-token balance resets to the new plan's allowance.`}
          onConfirm={() =>
            api('PUT', `/admin/users/${user.id}/plan`, { body: { plan }, ifMatch: user.version })
          }
          onDone={() => props.onDone(`Plan changed to ${plan}.`)}
        />
      )}
    </div>
  );
}
