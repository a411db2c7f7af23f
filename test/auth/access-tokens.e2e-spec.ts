import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { loginAdmin, registerUser, TestUser } from '../support/users';

describe('personal access tokens', () => {
  let t: TestApp;
  let user: TestUser;
  let db: Client;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

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

  it('creates a token shown once, stored hashed, valid 90 days by default, with every scope but admin', async () => {
    const res = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'deploy bot' })
      .expect(201);
    expect(res.body.token).toMatch(/^pat_[A-Za-z0-9_-]{40,}$/);
    expect(res.body.prefix).toBe(res.body.token.slice(0, 10));
    expect(res.body.scopes).not.toContain('admin');
    expect(res.body.scopes).toContain('catalog:write');
    const days = (Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)) / 86_400_000;
    expect(days).toBe(90);

    const stored = (
      await db.query('SELECT token_hash FROM personal_access_tokens WHERE id = $1', [res.body.id])
    ).rows[0];
    expect(stored.token_hash).not.toContain(res.body.token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const list = await t.http.get('/api/v1/me/access-tokens').set(user.auth).expect(200);
    const listed = list.body.data.find((x: { id: string }) => x.id === res.body.id);
    expect(listed).toBeDefined();
    expect(listed.token).toBeUndefined();

    await t.http.get('/api/v1/me').set(bearer(res.body.token)).expect(200);
  });

  it('validates the name and expiry', async () => {
    const short = await t.http.post('/api/v1/me/access-tokens').set(user.auth).send({ name: 'ab' });
    expectError(short, 422, 'validation_failed');
    expect(short.body.errors.name).toBeDefined();
    const long = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'x'.repeat(101) });
    expectError(long, 422, 'validation_failed');
    const tooLongLived = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'forever', expires_in_days: 400 });
    expectError(tooLongLived, 422, 'validation_failed');
    const badScope = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'scoped', scopes: ['everything'] });
    expectError(badScope, 422, 'validation_failed');
  });

  it('limits a token to its scopes: forbidden outside them', async () => {
    const res = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'read only', scopes: ['account:read'] })
      .expect(201);
    await t.http.get('/api/v1/me').set(bearer(res.body.token)).expect(200);
    expectError(
      await t.http.patch('/api/v1/me').set(bearer(res.body.token)).send({ display_name: 'X' }),
      403,
      'forbidden',
    );
    // and cannot mint a broader token for itself
    expectError(
      await t.http.post('/api/v1/me/access-tokens').set(bearer(res.body.token)).send({ name: 'escalate' }),
      403,
      'forbidden',
    );
  });

  it('gives the admin scope only to admins, and admin routes need it', async () => {
    expectError(
      await t.http
        .post('/api/v1/me/access-tokens')
        .set(user.auth)
        .send({ name: 'wannabe', scopes: ['admin'] }),
      403,
      'forbidden',
    );
    const admin = await loginAdmin(t);
    const plain = await t.http
      .post('/api/v1/me/access-tokens')
      .set(admin.auth)
      .send({ name: 'no admin scope' })
      .expect(201);
    expectError(await t.http.get('/api/v1/admin/users').set(bearer(plain.body.token)), 403, 'forbidden');
    const scoped = await t.http
      .post('/api/v1/me/access-tokens')
      .set(admin.auth)
      .send({ name: 'admin scope', scopes: ['admin'] })
      .expect(201);
    await t.http.get('/api/v1/admin/users').set(bearer(scoped.body.token)).expect(200);
  });

  it('revokes at once', async () => {
    const res = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'short lived' })
      .expect(201);
    await t.http.get('/api/v1/me').set(bearer(res.body.token)).expect(200);
    await t.http.delete(`/api/v1/me/access-tokens/${res.body.id}`).set(user.auth).expect(204);
    expectError(await t.http.get('/api/v1/me').set(bearer(res.body.token)), 401, 'unauthenticated');
    expectError(
      await t.http.delete(`/api/v1/me/access-tokens/${res.body.id}`).set(user.auth),
      404,
      'access_token_not_found',
    );
  });

  it("cannot revoke someone else's token", async () => {
    const other = await registerUser(t);
    const theirs = await t.http
      .post('/api/v1/me/access-tokens')
      .set(other.auth)
      .send({ name: 'theirs' })
      .expect(201);
    expectError(
      await t.http.delete(`/api/v1/me/access-tokens/${theirs.body.id}`).set(user.auth),
      404,
      'access_token_not_found',
    );
    await t.http.get('/api/v1/me').set(bearer(theirs.body.token)).expect(200);
  });

  it('expires tokens', async () => {
    const res = await t.http
      .post('/api/v1/me/access-tokens')
      .set(user.auth)
      .send({ name: 'one day', expires_in_days: 1 })
      .expect(201);
    await t.advanceClock(86_401);
    expectError(await t.http.get('/api/v1/me').set(bearer(res.body.token)), 401, 'token_expired');
  });
});
