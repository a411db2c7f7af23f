import { connect, type Socket } from 'node:net';
import { piece, wav } from '../support/audio';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

/**
 * The connection survives a bad request: an early answer to an upload drains (or closes) the
 * request stream, so the next request on the same keep-alive connection is answered at once.
 */
class RawConnection {
  private buffer = '';
  private waiters: (() => void)[] = [];
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** the next complete response (status, headers, body by Content-Length) */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = this.buffer.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines)
          headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      }
      if (this.socket.destroyed) throw new Error(`connection closed; buffered: ${this.buffer.slice(0, 200)}`);
      // no timed assertion: a hung connection fails by the test's own timeout, with what arrived
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }
}

/** Polls until `check` holds; throws naming `what` if it never does (a broken run, not a timing). */
async function until(check: () => boolean, what: string, patienceMs = 30_000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never saw ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function multipart(parts: { name: string; filename?: string; data: Buffer | string }[]): {
  body: Buffer;
  type: string;
} {
  const boundary = `----b${Math.random().toString(36).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.filename ? 'Content-Type: audio/wav\r\n' : ''}\r\n`,
      ),
      Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

describe('keep-alive after a bad upload', () => {
  let t: TestApp;
  let user: TestUser;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
    port = Number(new URL(t.url).port);
  });
  afterAll(() => t?.close());

  const audio = wav(piece(7, 2));
  const fields = [
    { name: 'title', data: 'T' },
    { name: 'bpm', data: '90' },
    { name: 'genre', data: 'trap' },
  ];

  it.each([
    [
      'two audio files',
      [
        ...fields,
        { name: 'audio', filename: 'a.wav', data: audio },
        { name: 'audio', filename: 'b.wav', data: audio },
      ],
    ],
    [
      '30 fields',
      [
        ...Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, data: 'x' })),
        { name: 'audio', filename: 'a.wav', data: audio },
      ],
    ],
    [
      'a file in the wrong field',
      [
        ...fields,
        { name: 'cover', filename: 'a.wav', data: audio },
        { name: 'audio', filename: 'b.wav', data: audio },
      ],
    ],
  ])('%s: 4xx, then GET /health on the same connection answers', async (_name, parts) => {
    const { body, type } = multipart(parts);
    const c = new RawConnection(port);
    try {
      c.write(
        `POST /api/v1/tracks HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nAuthorization: ${user.auth.Authorization}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      c.write(body);
      const bad = await c.response();
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
      expect(JSON.parse(bad.body)).toMatchObject({
        code: expect.any(String),
        request_id: bad.headers['x-request-id'],
      });
      if (bad.headers.connection === 'close') return; // closing is the other honest answer
      c.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      const health = await c.response();
      expect(health.status).toBe(200);
    } finally {
      c.socket.destroy();
    }
  });

  it('a large unread remainder is not drained: the answer closes the connection', async () => {
    const { body, type } = multipart([
      ...fields,
      { name: 'audio', filename: 'a.wav', data: audio },
      { name: 'audio', filename: 'b.wav', data: audio },
    ]);
    const c = new RawConnection(port);
    try {
      // 64 MB declared, only the first parts sent: the server answers without reading the rest
      c.write(
        `POST /api/v1/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: ${user.auth.Authorization}\r\nContent-Type: ${type}\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`,
      );
      c.write(body.subarray(0, body.length - 20));
      const bad = await c.response();
      expect(bad.status).toBe(400);
      expect(bad.headers.connection).toBe('close');
      await new Promise<void>((resolve) =>
        c.socket.destroyed ? resolve() : c.socket.once('close', () => resolve()),
      );
    } finally {
      c.socket.destroy();
    }
  });

  it('a truncated upload leaves nothing in the spool or the store, wherever it is cut', async () => {
    const { body, type } = multipart([
      ...fields,
      { name: 'audio', filename: 'a.wav', data: wav(piece(9, 20)) },
    ]);
    const fileStart = body.indexOf('RIFF');
    for (const cut of [fileStart, fileStart + 1, fileStart + 70_000, Math.floor(body.length / 2)]) {
      const c = new RawConnection(port);
      c.write(
        `POST /api/v1/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: ${user.auth.Authorization}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      c.write(body.subarray(0, cut));
      // cut once the server is receiving the file (its spool file exists), not after a fixed
      // sleep: one that ended first would cut before the file began and test nothing. Cut right
      // at the file's start, no file ever begins: the multipart parser holds back the header's
      // last CRLF (it could be the start of the next boundary) until a byte after it arrives
      if (cut > fileStart) {
        await until(() => t.storage.spool().length > 0, `the spool file of the upload cut at ${cut}`);
      }
      c.socket.destroy();
      // the server notices the abort and removes its partial file
      await until(() => t.storage.spool().length === 0, `an empty spool after the cut at ${cut}`);
      expect([cut, t.storage.spool()]).toEqual([cut, []]);
    }
    // nothing reached the store either
    expect(await t.storage.objects()).toEqual([]);
    // a client hanging up is not a server error: nothing logged at error level
    expect(t.logs.errors()).toEqual([]);
    // and the server still serves
    await t.http.get('/api/v1/health').expect(200);
  });
});
