import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { login, registerUser, uniqueEmail } from '../support/users';

describe('accounts and auth', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_LOGIN_FAILURES: '5' });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const register = (email: string, password = 'password-123') =>
    t.http.post('/api/v1/auth/register').send({ email, password, display_name: 'Someone' });

  describe('registration and email verification', () => {
    it('creates an unverified user, stores only an argon2id hash and mails a verification link', async () => {
      const email = uniqueEmail('reg');
      const res = await register(email).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^usr_/),
        email,
        display_name: 'Someone',
        email_verified: false,
        created_at: expect.any(String),
      });
      const row = (await db.query('SELECT password_hash FROM users WHERE id = $1', [res.body.id])).rows[0];
      expect(row.password_hash).toMatch(/^\$argon2id\$/);

      expect(t.mail.to(email)).toHaveLength(0); // sent by a background job
      await t.drain();
      const mail = t.mail.to(email)[0];
      expect(mail.subject).toMatch(/confirm/i);
      expect(mail.text).toContain('/verify-email?token=');
    });

    it('refuses an email that is taken, whatever its case', async () => {
      const email = uniqueEmail('taken');
      await register(email).expect(201);
      expectError(await register(email.toUpperCase()), 409, 'email_taken');
    });

    it('lets exactly one of many concurrent registrations of one email win', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all(Array.from({ length: 10 }, () => register(email)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((r) => r.status !== 201)) expectError(r, 409, 'email_taken');
      expect(
        Number((await db.query('SELECT count(*) FROM users WHERE email = $1', [email])).rows[0].count),
      ).toBe(1);
    });

    it('requires a password of at least 8 characters', async () => {
      const res = await register(uniqueEmail(), 'short');
      expectError(res, 422, 'validation_failed');
      expect(res.body.errors.password).toBeDefined();
    });

    it('refuses login until the email is verified, then accepts it', async () => {
      const email = uniqueEmail('verify');
      await register(email).expect(201);
      expectError(
        await t.http.post('/api/v1/auth/login').send({ email, password: 'password-123' }),
        403,
        'email_verification_pending',
      );
      await t.drain();
      const token = t.mail.tokenFor(email, /confirm/i);
      await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(200, { email_verified: true });
      // a token works once
      expectError(
        await t.http.post('/api/v1/auth/verify-email').send({ token }),
        422,
        'invalid_or_expired_token',
      );
      await login(t, email, 'password-123');
    });

    it('rejects unknown and expired (24 h) verification tokens', async () => {
      expectError(
        await t.http.post('/api/v1/auth/verify-email').send({ token: 'nope' }),
        422,
        'invalid_or_expired_token',
      );
      const email = uniqueEmail('expired');
      await register(email).expect(201);
      await t.drain();
      const token = t.mail.tokenFor(email, /confirm/i);
      await t.advanceClock(24 * 3600 + 1);
      expectError(
        await t.http.post('/api/v1/auth/verify-email').send({ token }),
        422,
        'invalid_or_expired_token',
      );

      // resend issues a fresh token (and answers 202 whether or not the account exists)
      await t.http.post('/api/v1/auth/resend-verification').send({ email }).expect(202);
      await t.http
        .post('/api/v1/auth/resend-verification')
        .send({ email: uniqueEmail('ghost') })
        .expect(202);
      await t.drain();
      const fresh = t.mail.tokenFor(email, /confirm/i);
      expect(fresh).not.toBe(token);
      await t.http.post('/api/v1/auth/verify-email').send({ token: fresh }).expect(200);
    });
  });

  describe('login', () => {
    it('answers invalid_credentials alike for an unknown email and a wrong password', async () => {
      const u = await registerUser(t);
      const wrong = await t.http
        .post('/api/v1/auth/login')
        .send({ email: u.email, password: 'wrong-password' });
      const unknown = await t.http
        .post('/api/v1/auth/login')
        .send({ email: uniqueEmail('nobody'), password: 'wrong-password' });
      expectError(wrong, 401, 'invalid_credentials');
      expectError(unknown, 401, 'invalid_credentials');
      expect(wrong.body.message).toBe(unknown.body.message);
    });

    it('returns a bearer access token (1 h) and a refresh token', async () => {
      const u = await registerUser(t);
      const res = await t.http
        .post('/api/v1/auth/login')
        .send({ email: u.email.toUpperCase(), password: u.password })
        .expect(200);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: expect.stringMatching(/^rt_/),
      });
    });

    it('locks an email after 5 failures in 60 s, even for the right password, then lets it in again', async () => {
      const u = await registerUser(t);
      for (let i = 0; i < 5; i++) {
        expectError(
          await t.http.post('/api/v1/auth/login').send({ email: u.email, password: 'nope-nope' }),
          401,
          'invalid_credentials',
        );
      }
      const locked = await t.http.post('/api/v1/auth/login').send({ email: u.email, password: u.password });
      expectError(locked, 429, 'too_many_login_attempts');
      expect(locked.body.retry_after).toBeGreaterThan(0);
      expect(locked.body.retry_after).toBeLessThanOrEqual(60);
      await t.advanceClock(61);
      await login(t, u.email, u.password);
    });

    it('checks at most 5 passwords per window under concurrent guessing', async () => {
      const u = await registerUser(t);
      const results = await Promise.all(
        Array.from({ length: 25 }, () =>
          t.http.post('/api/v1/auth/login').send({ email: u.email, password: 'guess-guess' }),
        ),
      );
      expect(results.filter((r) => r.status === 401)).toHaveLength(5);
      for (const r of results.filter((r) => r.status !== 401)) expectError(r, 429, 'too_many_login_attempts');
    });
  });

  describe('tokens and sessions', () => {
    it('refuses requests without, with malformed or with unknown tokens', async () => {
      expectError(await t.http.get('/api/v1/me'), 401, 'unauthenticated');
      expectError(await t.http.get('/api/v1/me').set('Authorization', 'Basic abc'), 401, 'unauthenticated');
      expectError(
        await t.http.get('/api/v1/me').set('Authorization', 'Bearer not.a.jwt'),
        401,
        'unauthenticated',
      );
      expectError(
        await t.http.get('/api/v1/me').set('Authorization', 'Bearer pat_unknown'),
        401,
        'unauthenticated',
      );
    });

    it('expires access tokens after an hour', async () => {
      const u = await registerUser(t);
      await t.http.get('/api/v1/me').set(u.auth).expect(200);
      await t.advanceClock(3601);
      expectError(await t.http.get('/api/v1/me').set(u.auth), 401, 'token_expired');
    });

    it('rotates refresh tokens and revokes the whole family when an old one is replayed', async () => {
      const u = await registerUser(t);
      const first = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: u.refreshToken })
        .expect(200);
      expect(first.body.refresh_token).not.toBe(u.refreshToken);
      const second = await t.http
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: first.body.refresh_token })
        .expect(200);

      // the stolen first token is replayed: the family ends, including the newest tokens
      expectError(
        await t.http.post('/api/v1/auth/refresh').send({ refresh_token: u.refreshToken }),
        401,
        'unauthenticated',
      );
      expectError(
        await t.http.post('/api/v1/auth/refresh').send({ refresh_token: second.body.refresh_token }),
        401,
        'unauthenticated',
      );
      expectError(
        await t.http.get('/api/v1/me').set('Authorization', `Bearer ${second.body.access_token}`),
        401,
        'unauthenticated',
      );
    });

    it('lets only one of two concurrent uses of a refresh token rotate it', async () => {
      const u = await registerUser(t);
      const results = await Promise.all(
        [0, 1].map(() => t.http.post('/api/v1/auth/refresh').send({ refresh_token: u.refreshToken })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      // the other presented a token already rotated: refused (and the family revoked)
      expectError(results.find((r) => r.status !== 200)!, 401, 'unauthenticated');
    });

    it('expires refresh tokens', async () => {
      const u = await registerUser(t);
      await t.advanceClock(31 * 86400);
      expectError(
        await t.http.post('/api/v1/auth/refresh').send({ refresh_token: u.refreshToken }),
        401,
        'token_expired',
      );
    });

    it('logs out: the session’s access and refresh tokens stop working, other sessions stay', async () => {
      const u = await registerUser(t);
      const other = await login(t, u.email, u.password);
      await t.http.post('/api/v1/auth/logout').set(u.auth).expect(204);
      expectError(await t.http.get('/api/v1/me').set(u.auth), 401, 'unauthenticated');
      expectError(
        await t.http.post('/api/v1/auth/refresh').send({ refresh_token: u.refreshToken }),
        401,
        'unauthenticated',
      );
      await t.http.get('/api/v1/me').set(other.auth).expect(200);
    });
  });

  describe('password reset and change', () => {
    it('mails a reset link, sets the new password and signs out every session', async () => {
      const u = await registerUser(t);
      await t.http
        .post('/api/v1/auth/forgot-password')
        .send({ email: u.email })
        .expect(202, { status: 'accepted' });
      await t.http
        .post('/api/v1/auth/forgot-password')
        .send({ email: uniqueEmail('nobody') })
        .expect(202);
      await t.drain();
      const token = t.mail.tokenFor(u.email, /reset/i);
      await t.http
        .post('/api/v1/auth/reset-password')
        .send({ token, password: 'brand-new-pass' })
        .expect(204);
      expectError(await t.http.get('/api/v1/me').set(u.auth), 401, 'unauthenticated');
      expectError(
        await t.http.post('/api/v1/auth/login').send({ email: u.email, password: u.password }),
        401,
        'invalid_credentials',
      );
      await login(t, u.email, 'brand-new-pass');
      expectError(
        await t.http.post('/api/v1/auth/reset-password').send({ token, password: 'another-pass-1' }),
        422,
        'invalid_or_expired_token',
      );
    });

    it('expires reset tokens after 24 h', async () => {
      const u = await registerUser(t);
      await t.http.post('/api/v1/auth/forgot-password').send({ email: u.email }).expect(202);
      await t.drain();
      const token = t.mail.tokenFor(u.email, /reset/i);
      await t.advanceClock(24 * 3600 + 1);
      expectError(
        await t.http.post('/api/v1/auth/reset-password').send({ token, password: 'brand-new-pass' }),
        422,
        'invalid_or_expired_token',
      );
    });

    it('shows and updates the profile; a new password needs the current one', async () => {
      const u = await registerUser(t, { name: 'Before' });
      const me = await t.http.get('/api/v1/me').set(u.auth).expect(200);
      expect(me.body).toMatchObject({
        id: u.id,
        email: u.email,
        display_name: 'Before',
        role: 'user',
        status: 'active',
        email_verified: true,
        plan: { id: 'explorer', name: 'Explorer' },
        permissions: ['backstage_requests.create'],
      });

      const missing = await t.http.patch('/api/v1/me').set(u.auth).send({ new_password: 'a-new-password' });
      expectError(missing, 422, 'validation_failed');
      expect(missing.body.errors.current_password).toBeDefined();

      // all or nothing: a wrong current password changes neither field
      const wrong = await t.http
        .patch('/api/v1/me')
        .set(u.auth)
        .send({ display_name: 'After', current_password: 'not-it-at-all', new_password: 'a-new-password' });
      expectError(wrong, 422, 'current_password_incorrect');
      expect((await t.http.get('/api/v1/me').set(u.auth)).body.display_name).toBe('Before');

      const other = await login(t, u.email, u.password);
      const ok = await t.http
        .patch('/api/v1/me')
        .set(u.auth)
        .send({ display_name: 'After', current_password: u.password, new_password: 'a-new-password' })
        .expect(200);
      expect(ok.body.display_name).toBe('After');
      // the other session is signed out, this one stays
      expectError(await t.http.get('/api/v1/me').set(other.auth), 401, 'unauthenticated');
      await t.http.get('/api/v1/me').set(u.auth).expect(200);
      await login(t, u.email, 'a-new-password');
    });

    it('returns an ETag and refuses a profile update based on a stale read', async () => {
      const u = await registerUser(t);
      const read = await t.http.get('/api/v1/me').set(u.auth).expect(200);
      expect(read.headers.etag).toBe(`"${read.body.version}"`);
      const updated = await t.http
        .patch('/api/v1/me')
        .set(u.auth)
        .set('If-Match', read.headers.etag)
        .send({ display_name: 'One' })
        .expect(200);
      expectError(
        await t.http
          .patch('/api/v1/me')
          .set(u.auth)
          .set('If-Match', read.headers.etag)
          .send({ display_name: 'Two' }),
        409,
        'stale_version',
      );
      expectError(
        await t.http.patch('/api/v1/me').set(u.auth).set('If-Match', 'garbage').send({ display_name: 'Two' }),
        409,
        'stale_version',
      );
      await t.http
        .patch('/api/v1/me')
        .set(u.auth)
        .set('If-Match', updated.headers.etag)
        .send({ display_name: 'Two' })
        .expect(200);
      // without If-Match the write is unconditional
      await t.http.patch('/api/v1/me').set(u.auth).send({ display_name: 'Three' }).expect(200);
    });
  });
});
