import { Client } from 'pg';
import { SmtpSink } from '../support/smtp-sink';
import { createTestDatabase, startTestApp, TestDatabase } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { login, uniqueEmail } from '../support/users';

/** ADMIN_EMAIL / ADMIN_PASSWORD at boot: create the admin, never promote someone else's account. */
describe('admin bootstrap', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = new SmtpSink();
    await smtp.start();
    db = new Client({ connectionString: database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await smtp?.stop();
    await database?.drop();
  });

  const shared = () => ({ database, smtp });

  it('refuses to start when ADMIN_EMAIL belongs to an ordinary account, and leaves it untouched', async () => {
    const first = await startTestApp({}, shared());
    const email = uniqueEmail('squatter');
    await first.http
      .post('/api/v1/auth/register')
      .send({ email, password: 'stranger-password', display_name: 'Stranger' })
      .expect(201);
    await first.close();

    await expect(
      startTestApp({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'operator-password-1' }, shared()),
    ).rejects.toThrow(`ADMIN_EMAIL ${email} belongs to an existing account that is not an admin`);

    const row = (await db.query('SELECT role, email_verified_at FROM users WHERE email = $1', [email]))
      .rows[0];
    expect(row).toEqual({ role: 'user', email_verified_at: null });
    const again = await startTestApp({}, shared());
    try {
      expectError(
        await again.http.post('/api/v1/auth/login').send({ email, password: 'stranger-password' }),
        403,
        'email_verification_pending',
      );
    } finally {
      await again.close();
    }
  });

  it('creates the admin when the address is free, and keeps an existing admin as it is', async () => {
    const email = uniqueEmail('operator');
    const created = await startTestApp(
      { ADMIN_EMAIL: email, ADMIN_PASSWORD: 'operator-password-1' },
      shared(),
    );
    try {
      const session = await login(created, email, 'operator-password-1');
      const me = await created.http.get('/api/v1/me').set(session.auth).expect(200);
      expect(me.body).toMatchObject({ role: 'admin', email_verified: true });
    } finally {
      await created.close();
    }
    // a restart with another ADMIN_PASSWORD does not reset the admin's password
    const restarted = await startTestApp(
      { ADMIN_EMAIL: email, ADMIN_PASSWORD: 'other-password-2' },
      shared(),
    );
    try {
      await login(restarted, email, 'operator-password-1');
    } finally {
      await restarted.close();
    }
  });
});
