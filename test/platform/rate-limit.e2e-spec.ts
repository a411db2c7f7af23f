import { clockSettled, createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { testRedisUrl } from '../support/redis';
import { registerUser } from '../support/users';
import { SmtpSink } from '../support/smtp-sink';

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status);

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
      await t.advanceClock(60);

      const first = await t.http.get('/api/v1/me').set(a.auth).expect(200);
      expect(first.headers['x-ratelimit-limit']).toBe('5');
      expect(first.headers['x-ratelimit-remaining']).toBe('4');
      const reset = Number(first.headers['x-ratelimit-reset']);
      const now = Date.parse((await t.http.get('/api/v1/__test/clock')).body.now) / 1000;
      expect(reset).toBeGreaterThan(now);
      expect(reset).toBeLessThanOrEqual(now + 61);

      for (let i = 0; i < 4; i++) await t.http.get('/api/v1/me').set(a.auth).expect(200);
      const limited = await t.http.get('/api/v1/me').set(a.auth);
      expectError(limited, 429, 'too_many_requests');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.body.retry_after).toBe(Number(limited.headers['retry-after']));

      // another user is unaffected
      await t.http.get('/api/v1/me').set(b.auth).expect(200);

      // the window follows the application clock
      await t.advanceClock(61);
      await t.http.get('/api/v1/me').set(a.auth).expect(200);
    });

    it('limits anonymous callers per IP', async () => {
      await t.advanceClock(60);
      const responses = [];
      for (let i = 0; i < 10; i++) responses.push(await t.http.get('/api/v1/plans'));
      expect(statuses(responses)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429, 429]);
      expectError(responses[8], 429, 'too_many_requests');
    });

    it('counts requests with an invalid bearer token against the anonymous per-IP budget', async () => {
      await t.advanceClock(60);
      const responses = [];
      for (let i = 0; i < 10; i++) {
        const token = i % 2 ? `Bearer not-a-token-${i}` : `Bearer pat_${'x'.repeat(40)}${i}`;
        responses.push(
          await t.http.get(i === 9 ? '/api/v1/admin/users' : '/api/v1/me').set('Authorization', token),
        );
      }
      expect(statuses(responses)).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
      expectError(responses[9], 429, 'too_many_requests');
    });

    it('gives login its own per-IP budget', async () => {
      await t.advanceClock(60);
      const responses = [];
      for (let i = 0; i < 5; i++) {
        responses.push(
          await t.http
            .post('/api/v1/auth/login')
            .send({ email: `nobody${i}@test.local`, password: 'whatever-1' }),
        );
      }
      expect(statuses(responses)).toEqual([401, 401, 401, 429, 429]);
      expectError(responses[3], 429, 'too_many_requests');
    });

    it('limits password-reset mails per email address', async () => {
      await t.advanceClock(60);
      const send = (email: string) => t.http.post('/api/v1/auth/forgot-password').send({ email });
      expect(
        statuses([await send('x@test.local'), await send('x@test.local'), await send('x@test.local')]),
      ).toEqual([202, 202, 429]);
      // a different address has its own budget (the per-IP one still applies)
      await send('y@test.local').expect(202);
    });

    it('holds the budget under concurrent requests', async () => {
      await t.advanceClock(60);
      const u = await registerUser(t);
      await t.advanceClock(60);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.http.get('/api/v1/me').set(u.auth)),
      );
      expect(statuses(responses).filter((s) => s === 200)).toHaveLength(5);
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
      await one.advanceClock(60); // the clock is shared: both instances move
      await clockSettled(one, two);
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).http.get('/api/v1/me').set(u.auth)),
      );
      expect(statuses(responses).filter((s) => s === 200)).toHaveLength(10);
      expect(statuses(responses).filter((s) => s === 429)).toHaveLength(20);
      const health = await one.http.get('/api/v1/health').expect(200);
      expect(health.body.checks.redis.ok).toBe(true);
    });
  });
});
