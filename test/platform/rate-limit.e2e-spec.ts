import { startOfNextWindow } from '../support/clock';
import { clockSettled, createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { testRedisUrl } from '../support/redis';
import { registerUser } from '../support/users';
import { SmtpSink } from '../support/smtp-sink';

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status);

// The budgets are fixed windows of a minute by the application clock. Each sequence starts at the
// start of a fresh window (startOfNextWindow), never at whatever second of the minute the machine
// is at: a sequence begun at :59 would cross into the next window and get a fresh budget halfway.

describe('rate limits', () => {
  describe('one instance (in-process counters)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        LIMIT_RATE_PER_MINUTE: '5',
        LIMIT_RATE_ANONYMOUS_PER_MINUTE: '8',
        LIMIT_RATE_LOGIN_PER_MINUTE: '3',
        LIMIT_RATE_PASSWORD_RESET_PER_MINUTE: '2',
      });
    });
    afterAll(() => t?.close());

    it('gives each signed-in user a budget of their own, with headers, then 429 too_many_requests', async () => {
      // registration and login spend the anonymous and login budgets, not the user one
      const a = await registerUser(t);
      const b = await registerUser(t);
      const window = (await startOfNextWindow(t)) / 1000;

      const first = await t.http.get('/api/v1/me').set(a.auth).expect(200);
      expect(first.headers['x-ratelimit-limit']).toBe('5');
      expect(first.headers['x-ratelimit-remaining']).toBe('4');
      // the end of the window, in epoch seconds (rounded up: never before the window ends)
      const reset = Number(first.headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThanOrEqual(window + 60);
      expect(reset).toBeLessThanOrEqual(window + 61);

      const rest = [];
      for (let i = 0; i < 4; i++) rest.push(await t.http.get('/api/v1/me').set(a.auth));
      expect(statuses(rest)).toEqual([200, 200, 200, 200]);
      expect(rest.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['3', '2', '1', '0']);
      const limited = await t.http.get('/api/v1/me').set(a.auth);
      expectError(limited, 429, 'too_many_requests');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      // seconds until the window ends (rounded up)
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.body.retry_after).toBe(retryAfter);

      // another user is unaffected
      const other = await t.http.get('/api/v1/me').set(b.auth).expect(200);
      expect(other.headers['x-ratelimit-remaining']).toBe('4');

      // the window follows the application clock: the next one has the whole budget again
      await startOfNextWindow(t);
      const next = await t.http.get('/api/v1/me').set(a.auth).expect(200);
      expect(next.headers['x-ratelimit-remaining']).toBe('4');
    });

    it('limits anonymous callers per IP', async () => {
      await startOfNextWindow(t);
      const responses = [];
      for (let i = 0; i < 10; i++) responses.push(await t.http.get('/api/v1/plans'));
      expect(statuses(responses)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429, 429]);
      for (const r of responses.slice(8)) expectError(r, 429, 'too_many_requests');
    });

    it('counts requests with an invalid bearer token against the anonymous per-IP budget', async () => {
      await startOfNextWindow(t);
      const responses = [];
      for (let i = 0; i < 10; i++) {
        const token = i % 2 ? `Bearer not-a-token-${i}` : `Bearer pat_${'x'.repeat(40)}${i}`;
        responses.push(
          await t.http.get(i === 9 ? '/api/v1/admin/users' : '/api/v1/me').set('Authorization', token),
        );
      }
      expect(statuses(responses)).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
      for (const r of responses.slice(0, 8)) expectError(r, 401, 'unauthenticated');
      for (const r of responses.slice(8)) expectError(r, 429, 'too_many_requests');
    });

    it('gives login its own per-IP budget', async () => {
      await startOfNextWindow(t);
      const responses = [];
      for (let i = 0; i < 5; i++) {
        responses.push(
          await t.http
            .post('/api/v1/auth/login')
            .send({ email: `nobody${i}@test.local`, password: 'whatever-1' }),
        );
      }
      expect(statuses(responses)).toEqual([401, 401, 401, 429, 429]);
      for (const r of responses.slice(0, 3)) expectError(r, 401, 'invalid_credentials');
      for (const r of responses.slice(3)) expectError(r, 429, 'too_many_requests');
    });

    it('limits password-reset mails per email address', async () => {
      await startOfNextWindow(t);
      const send = (email: string) => t.http.post('/api/v1/auth/forgot-password').send({ email });
      const responses = [await send('x@test.local'), await send('x@test.local'), await send('x@test.local')];
      expect(statuses(responses)).toEqual([202, 202, 429]);
      expectError(responses[2], 429, 'too_many_requests');
      // a different address has its own budget (the per-IP one still applies)
      await send('y@test.local').expect(202);
    });

    it('holds the budget under concurrent requests', async () => {
      await startOfNextWindow(t);
      const u = await registerUser(t);
      await startOfNextWindow(t);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.http.get('/api/v1/me').set(u.auth)),
      );
      expect(statuses(responses).filter((s) => s === 200)).toHaveLength(5);
      for (const r of responses.filter((x) => x.status !== 200)) expectError(r, 429, 'too_many_requests');
      expect(statuses(responses).filter((s) => s === 429)).toHaveLength(15);
    });
  });

  describe('two instances sharing Redis', () => {
    let db: TestDatabase;
    let smtp: SmtpSink;
    let one: TestApp;
    let two: TestApp;

    beforeAll(async () => {
      // no Redis is a failure of this test, not a reason to skip it
      const redisUrl = await testRedisUrl();
      db = await createTestDatabase();
      smtp = new SmtpSink();
      await smtp.start();
      const env = { REDIS_URL: redisUrl, LIMIT_RATE_PER_MINUTE: '10' };
      one = await startTestApp(env, { database: db, smtp });
      two = await startTestApp(env, { database: db, smtp });
    });
    afterAll(async () => {
      await one?.close();
      await two?.close();
      await smtp?.stop();
      await db?.drop();
    });

    it('enforces one budget across both instances', async () => {
      const u = await registerUser(one);
      await startOfNextWindow(one); // the clock is shared: both instances move
      await clockSettled(one, two);
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).http.get('/api/v1/me').set(u.auth)),
      );
      expect(statuses(responses).filter((s) => s === 200)).toHaveLength(10);
      for (const r of responses.filter((x) => x.status !== 200)) expectError(r, 429, 'too_many_requests');
      expect(statuses(responses).filter((s) => s === 429)).toHaveLength(20);
      const health = await one.http.get('/api/v1/health').expect(200);
      expect(health.body.checks.redis.ok).toBe(true);
    });
  });
});
