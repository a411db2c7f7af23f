import { connect } from 'node:net';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';

/** What Fastify and Node's HTTP parser answer on their own still wears the envelope and the request id. */
describe('framework errors in the envelope', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp();
    port = Number(new URL(t.url).port);
  });
  afterAll(() => t?.close());

  /** one raw request, the whole answer (the server closes after these) */
  const raw = (
    request: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown }> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (data += d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return reject(new Error(`no answer: ${data}`));
        const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines)
          headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        resolve({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(data.slice(end + 4)) });
      });
      socket.write(request);
    });

  it('a malformed percent-escape and an over-long path parameter are bad_request', async () => {
    expectError(await t.http.get('/api/v1/tracks/%E0%A4%A'), 400, 'bad_request');
    expectError(await t.http.get(`/api/v1/tracks/${'a'.repeat(150)}`), 400, 'bad_request');
    expectError(await t.http.get(`/api/v1/artists/${'a'.repeat(150)}`), 400, 'bad_request');
  });

  it.each([
    ['a 100 kB header', `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`],
    ['an obs-fold header', 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n'],
    [
      'Transfer-Encoding with Content-Length',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['garbage', 'HELLO THERE\r\n\r\n'],
  ])('%s is 400 bad_request in the envelope with a request id', async (_name, request) => {
    const res = await raw(request);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      message: expect.any(String),
      code: 'bad_request',
      request_id: res.headers['x-request-id'],
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
