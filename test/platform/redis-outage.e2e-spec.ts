import { expectError } from '../support/expect-error';
import { testRedisUrl } from '../support/redis';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

const LIMIT = 5;

/**
 * Redis goes away (10 s in the chaos run; cut here) and comes back. Documented choice: rate limits
 * fail open to each instance's own counters — every budget is still enforced, per instance, and no
 * request fails for Redis — then go back to the shared counters once Redis answers again.
 */
describe('Redis outage', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    const target = new URL(await testRedisUrl());
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    const viaProxy = new URL(target.toString());
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    t = await startTestApp({ REDIS_URL: viaProxy.toString(), LIMIT_RATE_PER_MINUTE: String(LIMIT) });
    user = await registerUser(t);
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
  });

  const remaining = async () => {
    const res = await t.http.get('/api/v1/me').set(user.auth);
    return { status: res.status, remaining: Number(res.headers['x-ratelimit-remaining']), res };
  };

  it('keeps every budget per instance meanwhile, answers no 5xx, and shares the budget again after', async () => {
    // the start of a fresh minute window: the whole test stays inside it
    const now = Date.parse(((await t.http.get('/api/v1/__test/clock')).body as { now: string }).now);
    await t.advanceClock(60 - (now % 60_000) / 1000 + 0.001);
    expect(await remaining()).toMatchObject({ status: 200, remaining: LIMIT - 1 }); // in Redis: 1
    expect(await remaining()).toMatchObject({ status: 200, remaining: LIMIT - 2 }); // in Redis: 2

    await proxy.cut();
    const during = [];
    for (let i = 0; i < LIMIT + 2; i++) during.push(await remaining());
    // counted in this process from zero: the budget still holds, per instance
    expect(during.map((r) => r.status)).toEqual([...Array<number>(LIMIT).fill(200), 429, 429]);
    expectError(during[LIMIT].res, 429, 'too_many_requests');
    const health = await t.http.get('/api/v1/health');
    expectError(health, 503, 'service_unavailable');
    expect(health.body.checks.redis.ok).toBe(false);
    await t.http.get('/api/v1/health/ready').expect(200); // still takes traffic

    await proxy.restore();
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      back = (await t.http.get('/api/v1/health')).status === 200;
      if (!back) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(true);
    // the shared counter again: it resumes from Redis's 2
    expect(await remaining()).toMatchObject({ status: 200, remaining: LIMIT - 3 });
    expect(t.logs.entries().filter((e) => e.level >= 50 && e.code !== 'service_unavailable')).toEqual([]);
    // the outage is logged when it starts and when it ends, not once per request
    const messages = t.logs.entries().map((e) => e.msg ?? '');
    expect(messages.filter((m) => m.startsWith('rate-limit counters fall back to memory'))).toHaveLength(1);
    expect(messages.filter((m) => m === 'rate-limit counters are shared in Redis again')).toHaveLength(1);
  });
});
