import { Client } from 'pg';
import type { Response } from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { login, registerUser, TestUser } from '../support/users';

/**
 * PATCH /me current_password is a password check like a login: it needs a signed-in session (a
 * leaked personal access token must not be a way to guess the password) and it spends the same
 * per-account failure budget (LIMIT_LOGIN_FAILURES checks per 60 s, reserved before the check).
 */
describe('password change: session only, and the login failure budget', () => {
  const BUDGET = 5;
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_LOGIN_FAILURES: String(BUDGET) });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const pat = async (user: TestUser, scopes = ['account:read', 'account:write']) =>
    (
      await t.http
        .post('/api/v1/me/access-tokens')
        .set(user.auth)
        .send({ name: 'script token', scopes })
        .expect(201)
    ).body.token as string;
  const changePassword = (auth: { Authorization: string }, current: string, next = 'a-brand-new-password') =>
    t.http.patch('/api/v1/me').set(auth).send({ current_password: current, new_password: next });
  const tryLogin = (user: TestUser, password: string) =>
    t.http.post('/api/v1/auth/login').send({ email: user.email, password });
  const failureRow = async (email: string) =>
    (await db.query('SELECT failures FROM login_failures WHERE email = $1', [email])).rows[0] as
      | { failures: number }
      | undefined;
  const expectLockedOut = (res: Response) => {
    expectError(res, 429, 'too_many_login_attempts');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body.retry_after).toBe(retryAfter);
  };

  it('refuses a password change made with a personal access token, even with account:write', async () => {
    const user = await registerUser(t);
    const token = await pat(user);
    const res = await changePassword(bearer(token), user.password);
    expectError(res, 403, 'forbidden');
    // nothing changed and nothing was checked: the token cannot spend the account's budget either
    await login(t, user.email, user.password);
    expect(await failureRow(user.email)).toBeUndefined();
    // a wrong guess through the token is refused the same way, before any password check
    expectError(await changePassword(bearer(token), 'a-wrong-guess'), 403, 'forbidden');
    expect(await failureRow(user.email)).toBeUndefined();
    // the token still edits the rest of the profile
    const renamed = await t.http
      .patch('/api/v1/me')
      .set(bearer(token))
      .send({ display_name: 'Renamed by a script' })
      .expect(200);
    expect(renamed.body.display_name).toBe('Renamed by a script');
  });

  it('has no way to change the email: neither a personal access token nor a session can', async () => {
    const user = await registerUser(t);
    const token = await pat(user);
    for (const auth of [bearer(token), user.auth]) {
      const res = await t.http
        .patch('/api/v1/me')
        .set(auth)
        .send({ email: 'taken-over@test.local', current_password: user.password });
      expectError(res, 422, 'validation_failed');
      expect(res.body.errors.email).toBeDefined();
    }
    expect((await t.http.get('/api/v1/me').set(user.auth).expect(200)).body.email).toBe(user.email);
  });

  it(`answers too_many_login_attempts to the right password after ${BUDGET} wrong current_password`, async () => {
    const user = await registerUser(t);
    for (let i = 0; i < BUDGET; i++) {
      expectError(await changePassword(user.auth, `wrong-guess-${i}`), 422, 'current_password_incorrect');
    }
    expectLockedOut(await changePassword(user.auth, user.password));
    // the password did not change, and login is locked out as well (one budget)
    expectLockedOut(await tryLogin(user, user.password));
    expect(await failureRow(user.email)).toEqual({ failures: BUDGET + 2 });

    await t.advanceClock(61);
    await changePassword(user.auth, user.password).expect(200);
    // a right password clears the budget, as a successful login does
    expect(await failureRow(user.email)).toBeUndefined();
    await login(t, user.email, 'a-brand-new-password');
  });

  it('shares one budget between login and PATCH /me, in both directions', async () => {
    const user = await registerUser(t);
    for (let i = 0; i < 2; i++)
      expectError(await tryLogin(user, `bad-login-${i}`), 401, 'invalid_credentials');
    for (let i = 0; i < BUDGET - 2; i++) {
      expectError(await changePassword(user.auth, `bad-patch-${i}`), 422, 'current_password_incorrect');
    }
    expectLockedOut(await changePassword(user.auth, user.password));
    expectLockedOut(await tryLogin(user, user.password));

    // and failed logins alone lock the password change
    const other = await registerUser(t);
    for (let i = 0; i < BUDGET; i++) {
      expectError(await tryLogin(other, `bad-login-${i}`), 401, 'invalid_credentials');
    }
    expectLockedOut(await changePassword(other.auth, other.password));
  });

  it(`checks exactly ${BUDGET} passwords under concurrent wrong guesses`, async () => {
    const user = await registerUser(t);
    const N = 16;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => changePassword(user.auth, `parallel-guess-${i}`)),
    );
    const wrong = results.filter((r) => r.status === 422);
    const locked = results.filter((r) => r.status !== 422);
    expect(wrong).toHaveLength(BUDGET);
    expect(locked).toHaveLength(N - BUDGET);
    for (const r of wrong) expectError(r, 422, 'current_password_incorrect');
    for (const r of locked) expectLockedOut(r);
    expect(await failureRow(user.email)).toEqual({ failures: N });
  });

  it(`checks exactly ${BUDGET} passwords when logins and password changes guess at once`, async () => {
    const user = await registerUser(t);
    const N = 10;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        i % 2 ? changePassword(user.auth, `mixed-guess-${i}`) : tryLogin(user, `mixed-guess-${i}`),
      ),
    );
    const checked = results.filter((r) => r.status !== 429);
    const locked = results.filter((r) => r.status === 429);
    expect(checked).toHaveLength(BUDGET);
    expect(locked).toHaveLength(N - BUDGET);
    results.forEach((r, i) => {
      if (r.status === 429) expectLockedOut(r);
      else if (i % 2) expectError(r, 422, 'current_password_incorrect');
      else expectError(r, 401, 'invalid_credentials');
    });
  });
});
