import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { SmtpSink } from '../support/smtp-sink';

const statuses = (responses: { status?: number; statusCode?: number }[]) =>
  responses.map((r) => r.status ?? r.statusCode);

/**
 * TRUST_PROXY names the hops that may say who the client is. Observed through the anonymous
 * per-IP budget (3 a minute here): requests counted against one address share it, so the fourth
 * of them is 429 and a request of another address is not.
 */
describe('TRUST_PROXY', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let oneHop: TestApp;
  let listed: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = new SmtpSink();
    await smtp.start();
    const budget = { LIMIT_RATE_ANONYMOUS_PER_MINUTE: '3' };
    oneHop = await startTestApp({ ...budget, TRUST_PROXY: '1' }, { database: db, smtp });
    listed = await startTestApp(
      { ...budget, TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' },
      { database: db, smtp },
    );
  });
  afterAll(async () => {
    await oneHop?.close();
    await listed?.close();
    await smtp?.stop();
    await db?.drop();
  });

  /**
   * Moves the (shared) test clock to just past the start of the next minute, so a short sequence
   * stays within one rate-limit window (windows are named by the application clock).
   */
  const freshWindow = async (t: TestApp) => {
    const now = Date.parse(
      ((await t.http.get('/api/v1/__test/clock').expect(200)).body as { now: string }).now,
    );
    await t.advanceClock((60_000 - (now % 60_000) + 100) / 1000);
  };

  it('1: one hop; the address the proxy saw is the client, whatever the client put before it', async () => {
    await freshWindow(oneHop);
    // the harness is the proxy (socket 127.0.0.1); each request claims another origin in front
    const get = (forwardedFor: string) =>
      oneHop.http.get('/api/v1/plans').set('X-Forwarded-For', forwardedFor);
    const real = [];
    for (let i = 0; i < 5; i++) real.push(await get(`198.51.100.${i + 1}, 203.0.113.10`));
    // one budget for 203.0.113.10: spoofed first entries do not buy new ones
    expect(statuses(real)).toEqual([200, 200, 200, 429, 429]);
    // another client behind the same proxy (and not the proxy's own address) has its own
    expect(statuses([await get('198.51.100.1, 203.0.113.11')])).toEqual([200]);
    expect(statuses([await get('203.0.113.12')])).toEqual([200]);
  });

  it('a list: hops from listed proxies are skipped; anyone else keeps its socket address', async () => {
    await freshWindow(listed);
    const via = (remoteAddress: string, forwardedFor: string) =>
      listed.app.inject({
        method: 'GET',
        url: '/api/v1/plans',
        remoteAddress,
        headers: { 'x-forwarded-for': forwardedFor },
      });
    // an untrusted caller (203.0.113.50) claiming other addresses: counted as 203.0.113.50
    const untrusted = [];
    for (let i = 0; i < 4; i++) untrusted.push(await via('203.0.113.50', `198.51.100.${i + 1}`));
    expect(statuses(untrusted)).toEqual([200, 200, 200, 429]);
    // the listed proxies (10.2.3.4 in 10.0.0.0/8, then 192.168.1.1) forward two different clients:
    // each is counted as itself, not as the proxy and not as the untrusted caller above
    const proxied = [];
    for (let i = 0; i < 4; i++) proxied.push(await via('10.2.3.4', `203.0.113.60, 192.168.1.1`));
    expect(statuses(proxied)).toEqual([200, 200, 200, 429]);
    expect(statuses([await via('10.2.3.4', '203.0.113.61')])).toEqual([200]);
    // a client that writes the untrusted caller's address in front gets no share of it either
    expect(statuses([await via('10.2.3.4', '203.0.113.50, 203.0.113.62')])).toEqual([200]);
  });
});
