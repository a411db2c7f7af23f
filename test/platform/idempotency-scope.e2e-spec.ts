import { piece, wav } from '../support/audio';
import { upload } from '../support/catalog';
import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { registerUser, TestUser } from '../support/users';

/**
 * An Idempotency-Key belongs to one resource: caller + method + concrete path. The fingerprint
 * covers the body, the query string and, for uploads, the files' digests.
 */
describe('Idempotency-Key scope and fingerprint', () => {
  let c: CommerceApp;

  beforeAll(async () => {
    c = await startCommerceApp();
  });
  afterAll(() => c?.close());

  const trackCount = async (user: TestUser) =>
    Number((await c.db.query('SELECT count(*) FROM tracks WHERE owner_id = $1', [user.id])).rows[0].count);

  it('one key on two purchases confirms each: never replays A’s answer for B', async () => {
    const buyer = await registerUser(c.t);
    const purchase = async () => {
      const { track } = await trackForSale(c.t);
      return (
        await c.t.http
          .post('/api/v1/purchases')
          .set(buyer.auth)
          .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 })
          .expect(201)
      ).body as { id: string };
    };
    const a = await purchase();
    const b = await purchase();
    const confirm = (id: string) =>
      c.t.http
        .post(`/api/v1/purchases/${id}/confirm`)
        .set(buyer.auth)
        .set('Idempotency-Key', 'confirm-once')
        .send({ payment_method: 'pm_card_visa' });

    const first = await confirm(a.id).expect(200);
    expect(first.body).toMatchObject({ id: a.id, status: 'succeeded' });
    const second = await confirm(b.id).expect(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body).toMatchObject({ id: b.id, status: 'succeeded' });
    const stored = await c.db.query('SELECT id, status FROM purchases WHERE id = ANY($1) ORDER BY id', [
      [a.id, b.id],
    ]);
    expect(stored.rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    // and the same call again on B is the replay of B's own answer
    const again = await confirm(b.id).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(b.id);
  });

  it('counts the query string in the fingerprint', async () => {
    const user = await registerUser(c.t);
    const create = (query: string) =>
      c.t.http
        .post(`/api/v1/playlists${query}`)
        .set(user.auth)
        .set('Idempotency-Key', 'query-key')
        .send({ name: 'query playlist', visibility: 'private' });
    await create('?source=a').expect(201);
    expectError(await create('?source=b'), 400, 'idempotency_key_reused');
    expect((await create('?source=a').expect(201)).headers['idempotent-replayed']).toBe('true');
  });

  describe('uploads', () => {
    it('fingerprints the uploaded file: another file under the same key is idempotency_key_reused', async () => {
      const producer = await registerUser(c.t);
      const audio = wav(piece(901, 2));
      const first = await upload(c.t, producer, audio).set('Idempotency-Key', 'upload-1').expect(201);

      expectError(
        await upload(c.t, producer, wav(piece(902, 2))).set('Idempotency-Key', 'upload-1'),
        400,
        'idempotency_key_reused',
      );
      // other text fields with the same file are another request too
      expectError(
        await upload(c.t, producer, audio, { title: 'Other title', bpm: 92, genre: 'trap' }).set(
          'Idempotency-Key',
          'upload-1',
        ),
        400,
        'idempotency_key_reused',
      );
      const again = await upload(c.t, producer, audio).set('Idempotency-Key', 'upload-1').expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      expect(await trackCount(producer)).toBe(1);
    });

    it('does not store a refused upload: the corrected retry under the same key runs', async () => {
      const producer = await registerUser(c.t);
      const audio = wav(piece(903, 2));
      expectError(
        await upload(c.t, producer, audio, { bpm: 'fast' }).set('Idempotency-Key', 'upload-fix'),
        422,
        'missing_track_metadata',
      );
      await upload(c.t, producer, audio).set('Idempotency-Key', 'upload-fix').expect(201);
      expect(await trackCount(producer)).toBe(1);
    });

    it('creates one track for concurrent identical uploads under one key', async () => {
      const producer = await registerUser(c.t);
      const audio = wav(piece(904, 2));
      const results = await Promise.all(
        Array.from({ length: 6 }, () => upload(c.t, producer, audio).set('Idempotency-Key', 'upload-race')),
      );
      const created = results.filter((r) => r.status === 201);
      for (const r of results.filter((x) => x.status !== 201)) {
        expectError(r, 409, 'idempotency_request_in_progress');
      }
      expect(created.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      expect(await trackCount(producer)).toBe(1);
    });
  });
});
