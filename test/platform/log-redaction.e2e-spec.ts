import { buy, CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { registerUser } from '../support/users';

/**
 * A signed download link is its own credential (anyone holding the URL gets the file until it
 * expires), and so is any token in a query string: no log line may carry one. Debug level here,
 * so every request is logged with its URL; the 500 line of the error filter logs it at any level.
 */
describe('credentials in query strings never reach the log', () => {
  let c: CommerceApp;
  beforeAll(async () => {
    c = await startCommerceApp({ LOG_LEVEL: 'debug' });
  });
  afterAll(() => c?.close());

  const lines = () => c.t.logs.entries().map((e) => JSON.stringify(e));

  it('logs a download with its query redacted, never its signature', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const { confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
    const licenseId = (confirmed.body as { license_id: string }).license_id;
    const link = await c.t.http
      .post(`/api/v1/licenses/${licenseId}/download-links`)
      .set(buyer.auth)
      .expect(201);
    const url = new URL((link.body as { url: string }).url);
    const signature = url.searchParams.get('signature')!;
    expect(signature.length).toBeGreaterThan(20);

    const ok = await c.t.http.get(`${url.pathname}${url.search}`).redirects(0);
    expect(ok.status).toBe(c.t.storage.driver === 's3' ? 302 : 200);
    const forged = `${signature.slice(0, -4)}AAAA`;
    expectError(
      await c.t.http.get(`${url.pathname}?expires=${url.searchParams.get('expires')}&signature=${forged}`),
      403,
      'forbidden',
    );

    // a streamed download is logged when its response finishes, which may follow the last byte read
    await c.t.logs.waitFor((e) => JSON.stringify(e).includes(`/api/v1/downloads/${licenseId}?`), 2);
    const downloads = lines().filter((l) => l.includes(`/api/v1/downloads/${licenseId}?`));
    // both requests were logged, the signature's value replaced
    expect(downloads).toHaveLength(2);
    for (const line of downloads) expect(line).toContain('&signature=[redacted]');
    expect(lines().filter((l) => l.includes(signature) || l.includes(forged))).toEqual([]);
  });

  it('redacts a token in the URL of a failed request (the 500 line) too', async () => {
    const token = `tok-${Math.random().toString(36).slice(2)}-secret`;
    expectError(await c.t.http.get(`/api/v1/__test/boom?page=2&token=${token}`), 500, 'internal_error');
    await c.t.logs.waitFor((e) => JSON.stringify(e).includes('/api/v1/__test/boom?'), 2);
    const boom = lines().filter((l) => l.includes('/api/v1/__test/boom?'));
    // the filter's error line and the request line, both with the other parameter kept
    expect(boom).toHaveLength(2);
    for (const line of boom) expect(line).toContain('/api/v1/__test/boom?page=2&token=[redacted]');
    expect(lines().filter((l) => l.includes(token))).toEqual([]);
  });
});
