import { startTestApp, TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { registerUser, TestUser } from '../support/users';

describe('error envelope and general errors', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  describe('X-Request-Id', () => {
    it('mints an id when none is sent', async () => {
      const res = await t.http.get('/api/v1/health').expect(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('echoes a well-formed inbound id, in the header and in error bodies', async () => {
      const res = await t.http.get('/api/v1/nowhere').set('X-Request-Id', 'client-req-12345');
      expect(res.headers['x-request-id']).toBe('client-req-12345');
      expect(res.body.request_id).toBe('client-req-12345');
    });

    it('replaces a malformed inbound id', async () => {
      const res = await t.http.get('/api/v1/health').set('X-Request-Id', 'bad id with spaces <script>');
      expect(res.headers['x-request-id']).not.toContain(' ');
    });
  });

  describe('invalid_json', () => {
    it('rejects malformed JSON', async () => {
      const res = await t.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email":');
      expectError(res, 400, 'invalid_json');
    });

    it('rejects an empty JSON body', async () => {
      const res = await t.http.post('/api/v1/auth/login').set('Content-Type', 'application/json').send('');
      expectError(res, 400, 'invalid_json');
    });

    it('rejects a JSON array where an object is expected', async () => {
      const res = await t.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('[1,2]');
      expectError(res, 400, 'invalid_json');
    });

    it('rejects prototype poisoning', async () => {
      const res = await t.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"__proto__":{"admin":true},"email":"a@b.co","password":"x"}');
      expectError(res, 400, 'invalid_json');
    });
  });

  it('answers validation_failed with the errors field map', async () => {
    const res = await t.http.post('/api/v1/auth/register').send({ email: 'not-an-email', password: 'short' });
    expectError(res, 422, 'validation_failed');
    expect(Object.keys(res.body.errors).sort()).toEqual(['display_name', 'email', 'password']);
    expect(Array.isArray(res.body.errors.email)).toBe(true);
  });

  it('rejects unknown fields instead of silently dropping them', async () => {
    const res = await t.http.patch('/api/v1/me').set(user.auth).send({ display_name: 'X', role: 'admin' });
    expectError(res, 422, 'validation_failed');
    expect(res.body.errors.role).toBeDefined();
  });

  it('answers bad_request for a malformed id in the path', async () => {
    const res = await t.http.delete('/api/v1/me/access-tokens/not-an-id').set(user.auth);
    expectError(res, 400, 'bad_request');
  });

  it('answers payload_too_large past the 1 MB JSON limit', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1_100_000) }));
    expectError(res, 413, 'payload_too_large');
  });

  it('answers unsupported_media_type for a body that is not JSON', async () => {
    const res = await t.http.post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('hello');
    expectError(res, 415, 'unsupported_media_type');
  });

  it('answers route_not_found for an unknown path', async () => {
    expectError(await t.http.get('/api/v1/no/such/route'), 404, 'route_not_found');
    expectError(await t.http.get('/totally-elsewhere'), 404, 'route_not_found');
  });

  it('answers method_not_allowed with Allow for a known path', async () => {
    const res = await t.http.delete('/api/v1/health');
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('GET');
    const me = await t.http.post('/api/v1/me').set(user.auth);
    expectError(me, 405, 'method_not_allowed');
    expect(me.headers.allow).toBe('GET, PATCH');
  });

  it('never leaks the cause of a 500', async () => {
    const res = await t.http.get('/api/v1/__test/boom');
    expectError(res, 500, 'internal_error');
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|secret|postgres:|stack/i);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'request_id']);
  });

  it('answers request_timeout past the request deadline (an app of its own: a short deadline must not race the setup)', async () => {
    const short = await startTestApp({ REQUEST_TIMEOUT_MS: '300' });
    try {
      expectError(await short.http.get('/api/v1/__test/sleep?ms=700'), 504, 'request_timeout');
    } finally {
      await short.close();
    }
  });

  it('serves the whole catalogue at GET /errors', async () => {
    const res = await t.http.get('/api/v1/errors').expect(200);
    const codes = (res.body.data as { code: string; status: number }[]).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toEqual(
      expect.arrayContaining(['invalid_json', 'validation_failed', 'email_taken', 'unauthenticated']),
    );
    for (const e of res.body.data) {
      expect(e).toEqual({
        module: expect.any(String),
        code: expect.any(String),
        status: expect.any(Number),
        message: expect.any(String),
        description: expect.any(String),
      });
    }
  });
});
