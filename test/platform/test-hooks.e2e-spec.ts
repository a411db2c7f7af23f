import { ConfigError, loadConfig } from '../../src/config/config';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The test hooks (TEST_HOOKS=1) move the clock of every instance and run its jobs, anonymously:
 * never with NODE_ENV=production, and only for callers on the machine itself — by the socket's
 * address, which X-Forwarded-For cannot change even where TRUST_PROXY is set.
 */
describe('test hooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    // one trusted hop: req.ip would be whatever the last X-Forwarded-For entry says
    t = await startTestApp({ TRUST_PROXY: '1' });
  });
  afterAll(() => t?.close());

  const offset = async () =>
    ((await t.http.get('/api/v1/__test/clock').expect(200)).body as { offset_ms: number }).offset_ms;

  /** A request as if from `remoteAddress` (Fastify's inject sets the socket's address). */
  const from = (remoteAddress: string, method: 'GET' | 'POST' | 'PUT', url: string, headers = {}) =>
    t.app.inject({
      method,
      url,
      remoteAddress,
      headers: { 'content-type': 'application/json', ...headers },
      ...(method === 'GET' ? {} : { payload: JSON.stringify({ advance_seconds: 86_400 }) }),
    });

  /** route_not_found in the envelope, exactly as for a path that does not exist. */
  const expectNotMounted = (res: Awaited<ReturnType<typeof from>>) => {
    expect([res.statusCode, res.json()]).toEqual([
      404,
      { message: 'Endpoint not found.', code: 'route_not_found', request_id: res.headers['x-request-id'] },
    ]);
    expect(res.headers.allow).toBeUndefined();
  };

  it('refuses to start with NODE_ENV=production', () => {
    expect(() => loadConfig({ ...t.env, NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...t.env, NODE_ENV: 'production' })).toThrow(
      'TEST_HOOKS=1 is refused with NODE_ENV=production (the test hooks move the clock of every instance)',
    );
  });

  it('answers callers on loopback (IPv4, IPv6, IPv4-mapped)', async () => {
    for (const address of ['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1']) {
      const res = await from(address, 'GET', '/api/v1/__test/clock');
      expect([address, res.statusCode]).toEqual([address, 200]);
    }
  });

  it('is route_not_found for anyone else, whatever X-Forwarded-For says, and moves nothing', async () => {
    const before = await offset();
    for (const address of ['203.0.113.7', '10.0.0.5', '::ffff:192.0.2.1', '2001:db8::1']) {
      expectNotMounted(await from(address, 'GET', '/api/v1/__test/clock'));
      expectNotMounted(await from(address, 'POST', '/api/v1/__test/clock'));
      expectNotMounted(await from(address, 'POST', '/api/v1/__test/jobs/drain'));
      // a method the hook lacks: route_not_found too, not a 405 that tells the path exists
      expectNotMounted(await from(address, 'PUT', '/api/v1/__test/clock'));
      // a spoofed loopback address in the header (with TRUST_PROXY=1, req.ip would be it)
      expectNotMounted(
        await from(address, 'POST', '/api/v1/__test/clock', { 'x-forwarded-for': '127.0.0.1' }),
      );
    }
    expect(await offset()).toBe(before);
    // a proxy on the same machine relays everyone from loopback: a relayed request is not local
    for (const header of [
      { 'x-forwarded-for': '203.0.113.7' },
      { forwarded: 'for=203.0.113.7' },
      { 'x-real-ip': '203.0.113.7' },
    ]) {
      expectNotMounted(await from('127.0.0.1', 'POST', '/api/v1/__test/clock', header));
    }
    expect(await offset()).toBe(before);
    // what a path that was never mounted answers, for comparison
    expectNotMounted(await from('203.0.113.7', 'GET', '/api/v1/__nothing/here'));
  });
});
