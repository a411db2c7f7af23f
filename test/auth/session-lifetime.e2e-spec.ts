import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { login, registerUser } from '../support/users';

const DAY = 86_400;

/**
 * A session (one login's refresh family) slides — each refresh token lives
 * LIMIT_REFRESH_TOKEN_DAYS (30) — within an absolute lifetime, LIMIT_SESSION_MAX_DAYS (90) from
 * its login: a stolen refresh token kept fresh cannot outlive it.
 */
describe('absolute session lifetime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const refresh = (token: string) => t.http.post('/api/v1/auth/refresh').send({ refresh_token: token });

  it('ends a session refreshed every 29 days 90 days after its login', async () => {
    const u = await registerUser(t); // the login: day 0
    let token = u.refreshToken;
    for (const days of [29, 29, 29, 2]) {
      // days 29, 58, 87, 89: each within its token's 30 days, and within the session's 90
      await t.advanceClock(days * DAY);
      const res = await refresh(token).expect(200);
      token = (res.body as { refresh_token: string }).refresh_token;
    }
    // day 90 and a second: the newest token has 28 days left, the session none
    await t.advanceClock(DAY + 1);
    expectError(await refresh(token), 401, 'token_expired');
    // as for any expired token, nothing else changed: it stays refused, and a new login starts over
    expectError(await refresh(token), 401, 'token_expired');
    const again = await login(t, u.email, u.password);
    await t.advanceClock(29 * DAY);
    await refresh(again.refreshToken).expect(200);
  });

  it('follows LIMIT_SESSION_MAX_DAYS, also when it is shorter than a refresh token', async () => {
    const short = await startTestApp({ LIMIT_SESSION_MAX_DAYS: '7' });
    try {
      const u = await registerUser(short);
      await short.advanceClock(6 * DAY);
      const res = await short.http
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: u.refreshToken })
        .expect(200);
      await short.advanceClock(DAY + 1);
      expectError(
        await short.http
          .post('/api/v1/auth/refresh')
          .send({ refresh_token: (res.body as { refresh_token: string }).refresh_token }),
        401,
        'token_expired',
      );
    } finally {
      await short.close();
    }
  });
});
