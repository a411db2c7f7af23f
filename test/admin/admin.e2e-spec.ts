import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { login, loginAdmin, registerUser, TestUser } from '../support/users';

describe('admin', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAdmin(t);
  });
  afterAll(() => t?.close());

  const ADMIN_ROUTES: [string, string][] = [
    ['get', '/api/v1/admin/users'],
    ['get', '/api/v1/admin/users/usr_01m7zzzzzzzzzzzzzzzzzzzzzz'],
    ['post', '/api/v1/admin/users/usr_01m7zzzzzzzzzzzzzzzzzzzzzz/suspend'],
    ['post', '/api/v1/admin/users/usr_01m7zzzzzzzzzzzzzzzzzzzzzz/reinstate'],
    ['put', '/api/v1/admin/users/usr_01m7zzzzzzzzzzzzzzzzzzzzzz/permissions'],
    ['put', '/api/v1/admin/users/usr_01m7zzzzzzzzzzzzzzzzzzzzzz/plan'],
    ['get', '/api/v1/admin/audit-log'],
    ['get', '/api/v1/admin/maintenance'],
    ['put', '/api/v1/admin/maintenance'],
  ];

  it('answers route_not_found to non-admins and anonymous callers on every admin route', async () => {
    const user = await registerUser(t);
    const call = (method: string, path: string) =>
      (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path);
    for (const [method, path] of ADMIN_ROUTES) {
      expectError(await call(method, path).set(user.auth).send({}), 404, 'route_not_found');
      expectError(await call(method, path).send({}), 404, 'route_not_found');
    }
  });

  it('suspends a user: their existing access token and personal access token are refused at once', async () => {
    const u = await registerUser(t);
    const pat = await t.http
      .post('/api/v1/me/access-tokens')
      .set(u.auth)
      .send({ name: 'my pat' })
      .expect(201);
    const patAuth = { Authorization: `Bearer ${pat.body.token}` };

    const res = await t.http
      .post(`/api/v1/admin/users/${u.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'spam uploads' })
      .expect(200);
    expect(res.body).toMatchObject({ id: u.id, status: 'suspended', suspended_reason: 'spam uploads' });

    expectError(await t.http.get('/api/v1/me').set(u.auth), 403, 'account_suspended');
    expectError(await t.http.get('/api/v1/me').set(patAuth), 403, 'account_suspended');
    // public routes that act for the caller refuse a suspended one too
    expectError(await t.http.get('/api/v1/tracks').set(u.auth), 403, 'account_suspended');
    expectError(
      await t.http.post('/api/v1/auth/login').send({ email: u.email, password: u.password }),
      403,
      'account_suspended',
    );
    expectError(
      await t.http.post('/api/v1/auth/refresh').send({ refresh_token: u.refreshToken }),
      403,
      'account_suspended',
    );

    await t.http
      .post(`/api/v1/admin/users/${u.id}/reinstate`)
      .set(admin.auth)
      .send({ note: 'appeal accepted' })
      .expect(200);
    await t.http.get('/api/v1/me').set(patAuth).expect(200);
    await login(t, u.email, u.password);

    const audit = await t.http.get(`/api/v1/admin/audit-log?target_id=${u.id}`).set(admin.auth).expect(200);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual([
      'user.reinstate',
      'user.suspend',
    ]);
    expect(audit.body.data[1]).toMatchObject({
      actor_id: admin.id,
      target_type: 'user',
      reason: 'spam uploads',
    });
    expect(audit.body.data[0]).toMatchObject({ reason: 'appeal accepted' });
  });

  it('refuses to suspend oneself', async () => {
    expectError(
      await t.http
        .post(`/api/v1/admin/users/${admin.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'oops oops' }),
      409,
      'cannot_modify_self',
    );
    expectError(
      await t.http
        .post(`/api/v1/admin/users/${admin.id}/reinstate`)
        .set(admin.auth)
        .send({ note: 'oops oops' }),
      409,
      'cannot_modify_self',
    );
  });

  it('answers user_not_found for unknown users', async () => {
    const ghost = 'usr_01m7zzzzzzzzzzzzzzzzzzzzzz';
    expectError(await t.http.get(`/api/v1/admin/users/${ghost}`).set(admin.auth), 404, 'user_not_found');
    expectError(
      await t.http.post(`/api/v1/admin/users/${ghost}/suspend`).set(admin.auth).send({ reason: 'whatever' }),
      404,
      'user_not_found',
    );
  });

  it('suspends once under concurrent requests (one audit entry)', async () => {
    const u = await registerUser(t);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http.post(`/api/v1/admin/users/${u.id}/suspend`).set(admin.auth).send({ reason: 'fraud' }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const audit = await t.http
      .get(`/api/v1/admin/audit-log?target_id=${u.id}&action=user.suspend`)
      .set(admin.auth)
      .expect(200);
    expect(audit.body.data).toHaveLength(1);
  });

  it('grants and revokes permissions', async () => {
    const u = await registerUser(t);
    const revoked = await t.http
      .put(`/api/v1/admin/users/${u.id}/permissions`)
      .set(admin.auth)
      .send({ revoke: ['backstage_requests.create'] })
      .expect(200);
    expect(revoked.body.permissions).toEqual([]);
    expect((await t.http.get('/api/v1/me').set(u.auth)).body.permissions).toEqual([]);
    const granted = await t.http
      .put(`/api/v1/admin/users/${u.id}/permissions`)
      .set(admin.auth)
      .send({ grant: ['backstage_requests.create'] })
      .expect(200);
    expect(granted.body.permissions).toEqual(['backstage_requests.create']);

    const both = await t.http
      .put(`/api/v1/admin/users/${u.id}/permissions`)
      .set(admin.auth)
      .send({ grant: ['backstage_requests.create'], revoke: ['backstage_requests.create'] });
    expectError(both, 422, 'validation_failed');
    expectError(
      await t.http
        .put(`/api/v1/admin/users/${u.id}/permissions`)
        .set(admin.auth)
        .send({ grant: ['root'] }),
      422,
      'validation_failed',
    );
  });

  it('overrides a plan; unknown plans are plan_not_found', async () => {
    const u = await registerUser(t);
    const res = await t.http
      .put(`/api/v1/admin/users/${u.id}/plan`)
      .set(admin.auth)
      .send({ plan: 'pro' })
      .expect(200);
    expect(res.body.plan_id).toBe('pro');
    expect((await t.http.get('/api/v1/me').set(u.auth)).body.plan.id).toBe('pro');
    expectError(
      await t.http.put(`/api/v1/admin/users/${u.id}/plan`).set(admin.auth).send({ plan: 'platinum' }),
      404,
      'plan_not_found',
    );
    const audit = await t.http
      .get(`/api/v1/admin/audit-log?target_id=${u.id}&action=user.plan`)
      .set(admin.auth)
      .expect(200);
    expect(audit.body.data[0].data).toEqual({ from: 'explorer', to: 'pro' });
  });

  it('honours If-Match: a change made on a stale read is refused with stale_version', async () => {
    const u = await registerUser(t);
    const read = await t.http.get(`/api/v1/admin/users/${u.id}`).set(admin.auth).expect(200);
    const etag = read.headers.etag;
    expect(etag).toBe(`"${read.body.version}"`);

    // two admins act on the same read: the first wins, the second is told to reload
    const first = await t.http
      .put(`/api/v1/admin/users/${u.id}/plan`)
      .set(admin.auth)
      .set('If-Match', etag)
      .send({ plan: 'plus' });
    expect(first.status).toBe(200);
    expect(first.headers.etag).not.toBe(etag);
    const second = await t.http
      .post(`/api/v1/admin/users/${u.id}/suspend`)
      .set(admin.auth)
      .set('If-Match', etag)
      .send({ reason: 'based on an old read' });
    expectError(second, 409, 'stale_version');
    expect((await t.http.get(`/api/v1/admin/users/${u.id}`).set(admin.auth)).body.status).toBe('active');

    // with the current ETag it goes through
    await t.http
      .post(`/api/v1/admin/users/${u.id}/suspend`)
      .set(admin.auth)
      .set('If-Match', first.headers.etag)
      .send({ reason: 'based on a fresh read' })
      .expect(200);
  });

  it('lets exactly one of concurrent writes with the same If-Match through', async () => {
    const u = await registerUser(t);
    const etag = (await t.http.get(`/api/v1/admin/users/${u.id}`).set(admin.auth)).headers.etag;
    const plans = ['classic', 'plus', 'pro', 'classic', 'plus', 'pro'];
    const results = await Promise.all(
      plans.map((plan) =>
        t.http.put(`/api/v1/admin/users/${u.id}/plan`).set(admin.auth).set('If-Match', etag).send({ plan }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expectError(r, 409, 'stale_version');
  });

  it('lists and searches users with cursor pagination', async () => {
    const marker = `needle${Date.now()}`;
    for (let i = 0; i < 3; i++) await registerUser(t, { name: `${marker} ${i}` });
    const page1 = await t.http.get(`/api/v1/admin/users?q=${marker}&limit=2`).set(admin.auth).expect(200);
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await t.http
      .get(`/api/v1/admin/users?q=${marker}&limit=2&cursor=${page1.body.next_cursor}`)
      .set(admin.auth)
      .expect(200);
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.next_cursor).toBeNull();
    const names = [...page1.body.data, ...page2.body.data].map(
      (u: { display_name: string }) => u.display_name,
    );
    expect(names).toEqual([`${marker} 2`, `${marker} 1`, `${marker} 0`]);

    const suspended = await t.http.get('/api/v1/admin/users?status=suspended').set(admin.auth).expect(200);
    expect(suspended.body.data.every((u: { status: string }) => u.status === 'suspended')).toBe(true);
    expectError(
      await t.http.get('/api/v1/admin/users?status=gone').set(admin.auth),
      422,
      'validation_failed',
    );
    expectError(await t.http.get('/api/v1/admin/users?cursor=garbage').set(admin.auth), 400, 'bad_request');
  });
});
