import { piece, wav } from '../support/audio';
import { readyTrack } from '../support/catalog';
import { buy, CommerceApp, OFFERS, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { login, loginAdmin, registerUser } from '../support/users';

describe('licenses, certificates and downloads', () => {
  let c: CommerceApp;

  beforeAll(async () => {
    c = await startCommerceApp();
  });
  afterAll(() => c?.close());

  /** The link's response as JSON (for errors). */
  const follow = (url: string) => {
    const u = new URL(url);
    return c.t.http.get(`${u.pathname}${u.search}`);
  };
  /**
   * The file behind the link: streamed by the server (local storage), or — S3 storage — a 302 to
   * a presigned URL of the object store, followed here like a browser would.
   */
  const download = async (url: string) => {
    const u = new URL(url);
    const res = await c.t.http.get(`${u.pathname}${u.search}`).redirects(0);
    const target =
      res.status === 302 ? new URL(res.headers.location) : new URL(`${c.t.url}${u.pathname}${u.search}`);
    const file = await fetch(target);
    return {
      via: res.status,
      status: file.status,
      headers: Object.fromEntries(file.headers),
      body: Buffer.from(await file.arrayBuffer()),
    };
  };

  it('lists and shows licenses with their terms; anyone can verify a certificate', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t, { name: 'Artist Buyer' });
    const { confirmed } = await buy(c.t, buyer, track.id, 'premium', 7999);
    const license = await c.t.http
      .get(`/api/v1/licenses/${confirmed.body.license_id}`)
      .set(buyer.auth)
      .expect(200);
    expect(license.body).toMatchObject({
      type: 'premium',
      status: 'active',
      source: 'purchase',
      price_cents: 7999,
      certificate_number: expect.stringMatching(/^BP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/),
      terms: { streams: 500000, radio_broadcasting: true, non_exclusive: true },
    });
    const cert = await c.t.http
      .get(`/api/v1/licenses/verify/${license.body.certificate_number.toLowerCase()}`)
      .expect(200);
    expect(cert.body).toMatchObject({
      valid: true,
      type: 'premium',
      holder_name: 'Artist Buyer',
      track_id: track.id,
    });
    expectError(await c.t.http.get('/api/v1/licenses/verify/BP-0000-0000-0000'), 404, 'license_not_found');
    expectError(
      await c.t.http.get(`/api/v1/licenses/${confirmed.body.license_id}`).set((await registerUser(c.t)).auth),
      404,
      'license_not_found',
    );
    const list = await c.t.http.get('/api/v1/licenses').set(buyer.auth).expect(200);
    expect(list.body.data.map((l: { id: string }) => l.id)).toEqual([confirmed.body.license_id]);
  });

  it('gives a signed link that streams the file for 15 minutes', async () => {
    const producer = await registerUser(c.t);
    const audio = wav(piece(31337, 2));
    const track = await readyTrack(c.t, producer, audio);
    await c.t.http
      .put(`/api/v1/tracks/${track.id}/license-offers`)
      .set(producer.auth)
      .send({ offers: OFFERS })
      .expect(200);
    const buyer = await registerUser(c.t);
    const { confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
    const link = await c.t.http
      .post(`/api/v1/licenses/${confirmed.body.license_id}/download-links`)
      .set(buyer.auth)
      .expect(201);
    expect(
      Date.parse(link.body.expires_at) - Date.parse((await c.t.http.get('/api/v1/__test/clock')).body.now),
    ).toBeLessThanOrEqual(15 * 60 * 1000);
    const file = await download(link.body.url);
    expect([file.via, file.status]).toEqual([c.t.storage.driver === 's3' ? 302 : 200, 200]);
    expect(file.headers['content-type']).toBe('audio/wav');
    expect(file.headers['content-disposition']).toMatch(/attachment/);
    expect(Buffer.compare(file.body, audio)).toBe(0);

    expectError(await follow(link.body.url.replace(/signature=[^&]+/, 'signature=AAAA')), 403, 'forbidden');
    await c.t.advanceClock(15 * 60 + 1);
    expectError(await follow(link.body.url), 403, 'download_expired');
  });

  it('refuses revoked licenses, and lets an admin revoke with an audit entry', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const { confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
    const link = await c.t.http
      .post(`/api/v1/licenses/${confirmed.body.license_id}/download-links`)
      .set(buyer.auth)
      .expect(201);
    const admin = await loginAdmin(c.t);
    expectError(
      await c.t.http
        .post(`/api/v1/admin/licenses/${confirmed.body.license_id}/revoke`)
        .set(buyer.auth)
        .send({ reason: 'nope' }),
      404,
      'route_not_found',
    );
    const revoked = await c.t.http
      .post(`/api/v1/admin/licenses/${confirmed.body.license_id}/revoke`)
      .set(admin.auth)
      .send({ reason: 'sample not cleared' })
      .expect(200);
    expect(revoked.body.status).toBe('revoked');
    expectError(
      await c.t.http
        .post('/api/v1/admin/licenses/lic_01m7zzzzzzzzzzzzzzzzzzzzzz/revoke')
        .set(admin.auth)
        .send({ reason: 'whatever' }),
      404,
      'license_not_found',
    );
    expectError(
      await c.t.http.get(`/api/v1/licenses/${confirmed.body.license_id}`).set(buyer.auth),
      410,
      'license_revoked',
    );
    expectError(
      await c.t.http.post(`/api/v1/licenses/${confirmed.body.license_id}/download-links`).set(buyer.auth),
      410,
      'license_revoked',
    );
    expectError(await follow(link.body.url), 410, 'license_revoked');
    const cert = await c.t.http.get(`/api/v1/licenses/verify/${revoked.body.certificate_number}`).expect(200);
    expect(cert.body.valid).toBe(false);
    const audit = await c.t.http
      .get(`/api/v1/admin/audit-log?target_id=${confirmed.body.license_id}`)
      .set(admin.auth)
      .expect(200);
    expect(audit.body.data[0]).toMatchObject({ action: 'license.revoke', reason: 'sample not cleared' });
  });

  describe('plan downloads', () => {
    it('are for paid plans that are not past due, reuse the license, and respect the exclusive', async () => {
      const { track } = await trackForSale(c.t);
      const fan = await registerUser(c.t);
      const explorer = await c.t.http.post(`/api/v1/tracks/${track.id}/plan-download`).set(fan.auth);
      expectError(explorer, 403, 'entitlement_required');
      expect(explorer.body).toMatchObject({
        feature: 'plan_downloads',
        plan_id: 'explorer',
        upgrade_required: true,
      });

      const admin = await loginAdmin(c.t);
      await c.t.http
        .put(`/api/v1/admin/users/${fan.id}/plan`)
        .set(admin.auth)
        .send({ plan: 'plus' })
        .expect(200);
      const first = await c.t.http.post(`/api/v1/tracks/${track.id}/plan-download`).set(fan.auth).expect(201);
      expect(first.body.license).toMatchObject({
        type: 'basic',
        price_cents: 0,
        source: 'plan',
        status: 'active',
      });
      expect(first.body.download.url).toContain('/api/v1/downloads/');
      const second = await c.t.http
        .post(`/api/v1/tracks/${track.id}/plan-download`)
        .set(fan.auth)
        .expect(201);
      expect(second.body.license.id).toBe(first.body.license.id);
      // a plan download counts as holding the basic lease
      expectError(
        await c.t.http
          .post('/api/v1/purchases')
          .set(fan.auth)
          .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 }),
        409,
        'already_purchased',
      );

      const onlyExclusive = await trackForSale(c.t, undefined, [OFFERS[3]]);
      expectError(
        await c.t.http.post(`/api/v1/tracks/${onlyExclusive.track.id}/plan-download`).set(fan.auth),
        400,
        'track_not_for_sale',
      );
      const rich = await registerUser(c.t);
      await buy(c.t, rich, track.id, 'exclusive', 99900);
      const other = await registerUser(c.t);
      await c.t.http
        .put(`/api/v1/admin/users/${other.id}/plan`)
        .set(admin.auth)
        .send({ plan: 'pro' })
        .expect(200);
      expectError(
        await c.t.http.post(`/api/v1/tracks/${track.id}/plan-download`).set(other.auth),
        410,
        'exclusive_already_sold',
      );
    });
  });

  describe('who may do what (README: access model)', () => {
    it('purchases: the buyer reads and confirms; an admin reads any, confirms none; others see nothing', async () => {
      const { track } = await trackForSale(c.t);
      const buyer = await registerUser(c.t);
      const stranger = await registerUser(c.t);
      const admin = await loginAdmin(c.t);
      const open = await c.t.http
        .post('/api/v1/purchases')
        .set(buyer.auth)
        .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 })
        .expect(201);
      const id = open.body.id as string;
      await c.t.http.get(`/api/v1/purchases/${id}`).set(buyer.auth).expect(200);
      expect((await c.t.http.get(`/api/v1/purchases/${id}`).set(admin.auth).expect(200)).body.id).toBe(id);
      expectError(
        await c.t.http.get(`/api/v1/purchases/${id}`).set(stranger.auth),
        404,
        'purchase_not_found',
      );
      const confirm = (who: { auth: { Authorization: string } }) =>
        c.t.http
          .post(`/api/v1/purchases/${id}/confirm`)
          .set(who.auth)
          .send({ payment_method: 'pm_card_visa' });
      expectError(await confirm(stranger), 404, 'purchase_not_found');
      expectError(await confirm(admin), 403, 'forbidden');
      // lists are the caller's own, whoever asks
      const ids = async (who: { auth: { Authorization: string } }) =>
        (await c.t.http.get('/api/v1/purchases').set(who.auth).expect(200)).body.data.map(
          (p: { id: string }) => p.id,
        );
      expect(await ids(buyer)).toEqual([id]);
      expect(await ids(stranger)).toEqual([]);
      expect(await ids(admin)).not.toContain(id);
      expect((await confirm(buyer)).status).toBe(200);
    });

    it('licenses: the holder reads and downloads; an admin reads any, downloads none; others see nothing', async () => {
      const { track } = await trackForSale(c.t);
      const holder = await registerUser(c.t);
      const stranger = await registerUser(c.t);
      const admin = await loginAdmin(c.t);
      const { confirmed } = await buy(c.t, holder, track.id, 'basic', 2999);
      const id = confirmed.body.license_id as string;
      const link = (who: { auth: { Authorization: string } }) =>
        c.t.http.post(`/api/v1/licenses/${id}/download-links`).set(who.auth);
      expect((await c.t.http.get(`/api/v1/licenses/${id}`).set(admin.auth).expect(200)).body.id).toBe(id);
      expectError(await c.t.http.get(`/api/v1/licenses/${id}`).set(stranger.auth), 404, 'license_not_found');
      await link(holder).expect(201);
      expectError(await link(admin), 403, 'forbidden');
      expectError(await link(stranger), 404, 'license_not_found');
      const ids = async (who: { auth: { Authorization: string } }) =>
        (await c.t.http.get('/api/v1/licenses').set(who.auth).expect(200)).body.data.map(
          (l: { id: string }) => l.id,
        );
      expect(await ids(holder)).toEqual([id]);
      expect(await ids(stranger)).toEqual([]);
      expect(await ids(admin)).not.toContain(id);
    });

    it('offers: only the owner sets them; collaborators, admins and strangers may not', async () => {
      const { producer, track } = await trackForSale(c.t);
      const co = await registerUser(c.t);
      const stranger = await registerUser(c.t);
      const admin = await loginAdmin(c.t);
      await c.t.http
        .put(`/api/v1/tracks/${track.id}/collaborators`)
        .set(producer.auth)
        .send({
          collaborators: [
            { user_id: producer.id, role: 'producer', split_percent: 50 },
            { user_id: co.id, role: 'co_producer', split_percent: 50 },
          ],
        })
        .expect(200);
      const put = (who: { auth: { Authorization: string } }) =>
        c.t.http
          .put(`/api/v1/tracks/${track.id}/license-offers`)
          .set(who.auth)
          .send({ offers: [{ type: 'basic', price_cents: 100, currency: 'usd' }] });
      for (const who of [co, admin, stranger]) expectError(await put(who), 403, 'forbidden');
      await put(producer).expect(200);
      // collaborators are credited: they cannot buy the track either
      expectError(
        await c.t.http
          .post('/api/v1/purchases')
          .set(co.auth)
          .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 100 }),
        422,
        'cannot_purchase_own_track',
      );
    });
  });

  describe('deleting a track that was for sale', () => {
    const del = (trackId: string, who: { auth: { Authorization: string } }) =>
      c.t.http.delete(`/api/v1/tracks/${trackId}`).set(who.auth);
    const checkout = (who: { auth: { Authorization: string } }, trackId: string) =>
      c.t.http
        .post('/api/v1/purchases')
        .set(who.auth)
        .send({ track_id: trackId, license_type: 'basic', expected_price_cents: 2999 })
        .expect(201);

    it('is not blocked by a stranger’s checkout that was never paid and has expired', async () => {
      const { producer, track } = await trackForSale(c.t);
      const stranger = await registerUser(c.t);
      const expired = await checkout(stranger, track.id);
      const declined = await checkout(await registerUser(c.t), track.id);
      await c.t.http
        .post(`/api/v1/purchases/${declined.body.id}/confirm`)
        .set(stranger.auth)
        .send({ payment_method: 'pm_card_chargeDeclined' });
      await c.t.advanceClock(31 * 60);
      await del(track.id, producer).expect(204);
      expect(
        (await c.db.query('SELECT count(*)::int AS n FROM purchases WHERE track_id = $1', [track.id])).rows[0]
          .n,
      ).toBe(0);
      expectError(
        await c.t.http.get(`/api/v1/purchases/${expired.body.id}`).set(stranger.auth),
        404,
        'purchase_not_found',
      );
    });

    it('keeps a track with a license (for its owner and for an admin) and one with an open checkout', async () => {
      const sold = await trackForSale(c.t);
      const buyer = await registerUser(c.t);
      const { confirmed } = await buy(c.t, buyer, sold.track.id, 'basic', 2999);
      expect(confirmed.status).toBe(200);
      expectError(await del(sold.track.id, sold.producer), 409, 'track_has_licenses');
      expectError(await del(sold.track.id, await loginAdmin(c.t)), 409, 'track_has_licenses');
      // a revoked license still is a sale: its certificate stays verifiable
      await c.t.http
        .post(`/api/v1/admin/licenses/${confirmed.body.license_id}/revoke`)
        .set((await loginAdmin(c.t)).auth)
        .send({ reason: 'chargeback' })
        .expect(200);
      expectError(await del(sold.track.id, sold.producer), 409, 'track_has_licenses');
      await c.t.http.get(`/api/v1/tracks/${sold.track.id}`).expect(200);

      // a checkout still open may yet be paid: the track waits until its window closes
      const pending = await trackForSale(c.t);
      await checkout(await registerUser(c.t), pending.track.id);
      const open = await del(pending.track.id, pending.producer);
      expectError(open, 409, 'track_has_licenses');
      expect(open.body.checkout_open).toBe(true);
      await c.t.advanceClock(31 * 60);
      const producer = { auth: (await login(c.t, pending.producer.email, pending.producer.password)).auth };
      await del(pending.track.id, producer).expect(204);
    });
  });
});
