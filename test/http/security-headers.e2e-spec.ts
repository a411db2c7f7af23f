import { startTestApp, TestApp } from '../support/test-app';
import { registerUser } from '../support/users';

/** What browsers and proxies expect on every response. */
describe('security headers, caching, CORS', () => {
  describe('defaults (http APP_URL, no CORS origins)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t?.close());

    it('sends nosniff, a referrer policy and a strict CSP on API answers, errors included; no HSTS over http', async () => {
      for (const res of [await t.http.get('/api/v1/health'), await t.http.get('/api/v1/nowhere')]) {
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        // the rest of helmet's set (computed once at boot from @fastify/helmet, see security-headers.ts)
        expect(res.headers).toMatchObject({
          'x-frame-options': 'SAMEORIGIN',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-resource-policy': 'cross-origin',
          'origin-agent-cluster': '?1',
          'x-dns-prefetch-control': 'off',
          'x-download-options': 'noopen',
          'x-permitted-cross-domain-policies': 'none',
          'x-xss-protection': '0',
        });
        expect(res.headers['content-security-policy']).toContain("default-src 'none'");
        expect(res.headers['strict-transport-security']).toBeUndefined();
      }
    });

    it('gives the docs page a CSP that lets Swagger UI run from its own files', async () => {
      const page = await t.http.get('/api/v1/docs').expect(200);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
      // every script of the page is a file of ours (an inline one would be blocked)
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
    });

    it('marks answers that carry tokens or personal data no-store', async () => {
      const user = await registerUser(t);
      const login = await t.http
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(login.status).toBe(200);
      expect(login.headers['cache-control']).toBe('no-store');
      expect((await t.http.get('/api/v1/me').set(user.auth)).headers['cache-control']).toBe('no-store');
      expect((await t.http.get('/api/v1/tracks').set(user.auth)).headers['cache-control']).toBe('no-store');
    });

    it('answers no CORS headers when no origin is configured', async () => {
      const res = await t.http.get('/api/v1/health').set('Origin', 'https://evil.example');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('https APP_URL and a web client origin', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ APP_URL: 'https://api.example.com', CORS_ORIGINS: 'https://app.example.com' });
    });
    afterAll(() => t?.close());

    it('sends HSTS', async () => {
      const res = await t.http.get('/api/v1/health');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    });

    it('answers the preflight of the web client, and only of it', async () => {
      const ok = await t.http
        .options('/api/v1/me')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'authorization, content-type, if-match');
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(ok.headers['access-control-allow-methods']).toContain('PATCH');
      expect(ok.headers['access-control-allow-headers']).toMatch(/If-Match/i);

      const get = await t.http.get('/api/v1/health').set('Origin', 'https://app.example.com');
      expect(get.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(get.headers['access-control-expose-headers']).toContain('X-Request-Id');

      const other = await t.http.get('/api/v1/health').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
