import { useState } from 'preact/hooks';
import { api, Holds, Purchase } from '../api';
import { ConfirmAction, ErrorNote, money, useLoad, when } from '../ui';

const REASONS: Record<string, string> = {
  no_payout_account: 'no payout account',
  onboarding_unfinished: 'onboarding unfinished',
  below_minimum: 'below the minimum transfer',
};

/**
 * Money waiting (on payout accounts, on collaborators' acceptance), transfers Stripe refused,
 * open disputes; and a refund of any purchase, with a reason (audited).
 */
export function Finances() {
  const holds = useLoad(() => api<Holds>('GET', '/admin/earnings/holds'), []);
  return (
    <section>
      <h1>Finances</h1>
      <Refund onDone={holds.reload} />
      {holds.error ? (
        <ErrorNote error={holds.error} />
      ) : !holds.data ? (
        <p class="loading">Loading…</p>
      ) : (
        <HoldTables h={holds.data} />
      )}
    </section>
  );
}

function HoldTables({ h }: { h: Holds }) {
  return (
    <>
      <h2>Waiting on payout accounts</h2>
      {h.waiting_on_accounts.length ? (
        <table aria-label="Waiting on payout accounts">
          <thead>
            <tr>
              <th>Producer</th>
              <th>Available</th>
              <th>Why it waits</th>
            </tr>
          </thead>
          <tbody>
            {h.waiting_on_accounts.map((r) => (
              <tr key={`${r.user_id}:${r.currency}`}>
                <td>
                  <a href={`/admin/users/${r.user_id}`}>{r.user_id}</a>
                </td>
                <td>{money(r.amount_cents, r.currency)}</td>
                <td>{REASONS[r.reason] ?? r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="empty">Nothing waits on a payout account.</p>
      )}
      <h2>Waiting on acceptance</h2>
      {h.waiting_on_acceptance.length ? (
        <table aria-label="Waiting on acceptance">
          <thead>
            <tr>
              <th>Collaborator</th>
              <th>Track</th>
              <th>Held</th>
            </tr>
          </thead>
          <tbody>
            {h.waiting_on_acceptance.map((r) => (
              <tr key={`${r.user_id}:${r.track_id}:${r.currency}`}>
                <td>
                  <a href={`/admin/users/${r.user_id}`}>{r.user_id}</a>
                </td>
                <td>
                  <code>{r.track_id}</code>
                </td>
                <td>{money(r.amount_cents, r.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="empty">No share waits for a collaborator.</p>
      )}
      <h2>Failed transfers</h2>
      {h.failed_transfers.length ? (
        <table aria-label="Failed transfers">
          <thead>
            <tr>
              <th>Transfer</th>
              <th>Producer</th>
              <th>Amount</th>
              <th>Stripe said</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {h.failed_transfers.map((r) => (
              <tr key={r.id}>
                <td>
                  <code>{r.id}</code>
                </td>
                <td>
                  <a href={`/admin/users/${r.user_id}`}>{r.user_id}</a>
                </td>
                <td>{money(r.amount_cents, r.currency)}</td>
                <td>{r.failure ?? '—'}</td>
                <td>{when(r.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="empty">No failed transfer.</p>
      )}
      <h2>Open disputes</h2>
      {h.open_disputes.length ? (
        <table aria-label="Open disputes">
          <thead>
            <tr>
              <th>Purchase</th>
              <th>Amount</th>
              <th>Earnings frozen</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {h.open_disputes.map((r) => (
              <tr key={r.purchase_id}>
                <td>
                  <code>{r.purchase_id}</code>
                </td>
                <td>{money(r.amount_cents, r.currency)}</td>
                <td>{money(r.frozen_cents, r.currency)}</td>
                <td>{when(r.disputed_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="empty">No open dispute.</p>
      )}
    </>
  );
}

function Refund({ onDone }: { onDone: () => void }) {
  const [id, setId] = useState('');
  const [done, setDone] = useState<Purchase | null>(null);
  return (
    <article class="card">
      <h2>Refund a purchase</h2>
      <p class="hint">
        Any purchase, any time (not while its payment is disputed). The refund is made at Stripe; its license
        is revoked and the producers’ shares cancelled or reversed when Stripe confirms.
      </p>
      <label for="refund-purchase">Purchase id</label>
      <input id="refund-purchase" value={id} onInput={(e) => setId(e.currentTarget.value.trim())} />
      {done && (
        <p class="notice" role="status">
          Refund requested for {done.id} ({money(done.amount_cents, done.currency)}).
        </p>
      )}
      {id && (
        <ConfirmAction
          label="Refund purchase"
          danger
          field={{ label: 'Reason (shown in the audit log)', minLength: 3, required: true }}
          consequence={`Refund purchase ${id} to its buyer?`}
          onConfirm={async (reason) =>
            setDone(
              await api<Purchase>('POST', `/admin/purchases/${encodeURIComponent(id)}/refund`, {
                body: { reason },
              }),
            )
          }
          onDone={onDone}
        />
      )}
    </article>
  );
}
