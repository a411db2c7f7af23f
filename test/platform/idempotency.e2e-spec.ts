import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { login, registerUser, TestUser } from '../support/users';

/**
 * Idempotency keys, exercised on POST /playlists (creates a playlist), POST /me/access-tokens
 * (creates a token: its replays are refused, see idempotency-secrets) and POST /auth/register.
 */
describe('Idempotency-Key', () => {
  let t: TestApp;
  let user: TestUser;
  let db: Client;

  const create = (key: string, body: object, auth = user.auth) =>
    t.http.post('/api/v1/me/access-tokens').set(auth).set('Idempotency-Key', key).send(body);
  const playlistCount = async (userId: string) =>
    Number((await db.query('SELECT count(*) FROM playlists WHERE owner_id = $1', [userId])).rows[0].count);
  const createPlaylist = (key: string, body: object, auth = user.auth) =>
    t.http
      .post('/api/v1/playlists')
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ visibility: 'private', ...body });

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('replays the first response for the same key and body, with Idempotent-Replayed', async () => {
    const first = await createPlaylist('key-replay-1', { name: 'road trip' }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await createPlaylist('key-replay-1', { name: 'road trip' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await playlistCount(user.id)).toBe(1);
  });

  it('treats the same body with keys in another order as the same body', async () => {
    const first = await createPlaylist('key-order', { name: 'ordered', description: 'd' }).expect(201);
    const again = await t.http
      .post('/api/v1/playlists')
      .set(user.auth)
      .set('Idempotency-Key', 'key-order')
      .send({ description: 'd', name: 'ordered', visibility: 'private' })
      .expect(201);
    expect(again.body.id).toBe(first.body.id);
  });

  it('answers idempotency_key_reused for the same key with another body', async () => {
    await create('key-reuse', { name: 'first body' }).expect(201);
    expectError(await create('key-reuse', { name: 'second body' }), 400, 'idempotency_key_reused');
  });

  it('answers idempotency_key_too_long past 255 characters', async () => {
    expectError(await create('k'.repeat(256), { name: 'long key' }), 400, 'idempotency_key_too_long');
    await create('k'.repeat(255), { name: 'longest key' }).expect(201);
  });

  it('scopes keys per caller: another user may use the same key', async () => {
    const other = await registerUser(t);
    const mine = await create('shared-key', { name: 'mine' }).expect(201);
    const theirs = await create('shared-key', { name: 'mine' }, other.auth).expect(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does not store validation failures: the corrected retry runs', async () => {
    expectError(await create('key-validation', { name: 'x' }), 422, 'validation_failed');
    const retry = await create('key-validation', { name: 'valid name' }).expect(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays a stored domain error identically', async () => {
    // a non-admin asking for the admin scope is forbidden: a final answer, replayed
    const first = await create('key-forbidden', { name: 'wants admin', scopes: ['admin'] });
    expectError(first, 403, 'forbidden');
    const again = await create('key-forbidden', { name: 'wants admin', scopes: ['admin'] });
    expect(again.status).toBe(403);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('forgets keys after 24 h', async () => {
    const first = await create('key-expiry', { name: 'expiring' }).expect(201);
    await t.advanceClock(24 * 3600 + 1);
    Object.assign(user, await login(t, user.email, user.password)); // the access token expired too
    const later = await create('key-expiry', { name: 'expiring' }).expect(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('has one effect for 20 concurrent requests with one key; the others wait their turn or replay', async () => {
    const racer = await registerUser(t);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => createPlaylist('key-race', { name: 'raced playlist' }, racer.auth)),
    );
    const created = responses.filter((r) => r.status === 201);
    const inProgress = responses.filter((r) => r.status === 409);
    expect(created.length + inProgress.length).toBe(20);
    for (const r of inProgress) expectError(r, 409, 'idempotency_request_in_progress');
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    expect(await playlistCount(racer.id)).toBe(1);

    // once finished, every retry replays the same response
    const replays = await Promise.all(
      Array.from({ length: 5 }, () => createPlaylist('key-race', { name: 'raced playlist' }, racer.auth)),
    );
    for (const r of replays) {
      expect(r.status).toBe(201);
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.body).toEqual(created[0].body);
    }
  });

  it('answers idempotency_request_in_progress while the first request holds the key, and takes over an abandoned one', async () => {
    const route = 'POST /api/v1/me/access-tokens';
    const bodyHash = async (body: object) => {
      // the server's hash of the body: learn it from a completed request with another key
      await create('probe-' + JSON.stringify(body), body).expect(201);
      return (
        await db.query('SELECT body_hash FROM idempotency_keys WHERE key = $1', [
          'probe-' + JSON.stringify(body),
        ])
      ).rows[0].body_hash as string;
    };
    const hash = await bodyHash({ name: 'held' });
    const now = Date.parse((await t.http.get('/api/v1/__test/clock')).body.now);
    // a request still running elsewhere holds the key (lease in the future)
    await db.query(
      `INSERT INTO idempotency_keys (caller, route, key, body_hash, state, created_at, locked_until, expires_at)
       VALUES ($1, $2, 'held-key', $3, 'in_progress', $4, $5, $6)`,
      [`user:${user.id}`, route, hash, new Date(now), new Date(now + 60_000), new Date(now + 86_400_000)],
    );
    expectError(await create('held-key', { name: 'held' }), 409, 'idempotency_request_in_progress');

    // its lease runs out (the server that ran it crashed): the retry takes the key over and runs
    await t.advanceClock(61);
    Object.assign(user, await login(t, user.email, user.password));
    const taken = await create('held-key', { name: 'held' }).expect(201);
    expect(taken.headers['idempotent-replayed']).toBeUndefined();
  });

  it('works for anonymous callers too (registration)', async () => {
    const body = { email: 'idem-register@test.local', password: 'long-enough-1', display_name: 'Idem' };
    const first = await t.http
      .post('/api/v1/auth/register')
      .set('Idempotency-Key', 'reg-1')
      .send(body)
      .expect(201);
    const again = await t.http
      .post('/api/v1/auth/register')
      .set('Idempotency-Key', 'reg-1')
      .send(body)
      .expect(201);
    expect(again.body).toEqual(first.body);
    const withoutKey = await t.http.post('/api/v1/auth/register').send(body);
    expectError(withoutKey, 409, 'email_taken');
  });
});
