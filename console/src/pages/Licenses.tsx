import { useState } from 'preact/hooks';
import { api, License } from '../api';
import { navigate, useLocation } from '../router';
import { ConfirmAction, ErrorNote, money, useDraft, useLoad, when } from '../ui';

export function Licenses() {
  const { query } = useLocation();
  const id = query.get('id') ?? '';
  const [draft, setDraft] = useDraft(id, id);
  return (
    <section>
      <h1>Licenses</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/licenses?id=${encodeURIComponent(draft.trim())}`);
        }}
      >
        <label for="license-id">License id</label>
        <input id="license-id" value={draft} required onInput={(e) => setDraft(e.currentTarget.value)} />
        <button type="submit">Look up</button>
      </form>
      {id && <LicenseCard key={id} id={id} />}
    </section>
  );
}

function LicenseCard({ id }: { id: string }) {
  const license = useLoad(() => api<License>('GET', `/admin/licenses/${encodeURIComponent(id)}`), [id]);
  const [done, setDone] = useState<string | null>(null);
  if (license.error) return <ErrorNote error={license.error} />;
  const l = license.data;
  if (!l) return <p class="loading">Loading…</p>;
  return (
    <article class="card">
      <h2>
        {l.type} license · {l.track_title} <span class={`status ${l.status}`}>{l.status}</span>
      </h2>
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      <dl>
        <dt>Id</dt>
        <dd>
          <code>{l.id}</code>
        </dd>
        <dt>Certificate</dt>
        <dd>
          <code>{l.certificate_number}</code>
        </dd>
        <dt>Holder</dt>
        <dd>
          <a href={`/admin/users/${l.holder_id}`}>{l.holder_id}</a>
        </dd>
        <dt>Track</dt>
        <dd>
          <code>{l.track_id}</code>
        </dd>
        <dt>Price</dt>
        <dd>{money(l.price_cents, l.currency)}</dd>
        <dt>Source</dt>
        <dd>{l.source}</dd>
        <dt>Issued</dt>
        <dd>{when(l.issued_at)}</dd>
        <dt>Revoked</dt>
        <dd>{when(l.revoked_at)}</dd>
      </dl>
      {l.status === 'active' && (
        <ConfirmAction
          label="Revoke license"
          danger
          field={{ label: 'Reason (shown in the audit log)', minLength: 3, required: true }}
          consequence={`Revoke license ${l.certificate_number}? Its holder can no longer download the track.`}
          onConfirm={(reason) => api('POST', `/admin/licenses/${l.id}/revoke`, { body: { reason } })}
          onDone={() => {
            setDone('The license is revoked.');
            license.reload();
          }}
        />
      )}
    </article>
  );
}
