import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { loginAdmin, registerUser, TestUser } from '../support/users';

describe('maintenance mode', () => {
  let t: TestApp;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAdmin(t);
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  it('refuses everyone but admins and health while on, then lets everyone back', async () => {
    await t.http
      .put('/api/v1/admin/maintenance')
      .set(admin.auth)
      .send({ enabled: true, message: 'Upgrading the database' })
      .expect(200);

    const me = await t.http.get('/api/v1/me').set(user.auth);
    expectError(me, 503, 'maintenance_mode');
    expect(me.body.message).toBe('Upgrading the database');
    expect(Number(me.headers['retry-after'])).toBeGreaterThan(0);
    expectError(await t.http.get('/api/v1/plans'), 503, 'maintenance_mode');
    expectError(
      await t.http.post('/api/v1/auth/login').send({ email: user.email, password: user.password }),
      503,
      'maintenance_mode',
    );

    await t.http.get('/api/v1/health').expect(200);
    await t.http.get('/api/v1/errors').expect(200);
    await t.http.get('/api/v1/me').set(admin.auth).expect(200);
    await t.http
      .get('/api/v1/admin/maintenance')
      .set(admin.auth)
      .expect(200, { enabled: true, message: 'Upgrading the database' });
    // an admin can still sign in to switch it off
    await loginAdmin(t);

    await t.http.put('/api/v1/admin/maintenance').set(admin.auth).send({ enabled: false }).expect(200);
    await t.http.get('/api/v1/me').set(user.auth).expect(200);

    const audit = await t.http
      .get('/api/v1/admin/audit-log?target_id=maintenance')
      .set(admin.auth)
      .expect(200);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual([
      'maintenance.off',
      'maintenance.on',
    ]);
  });
});
