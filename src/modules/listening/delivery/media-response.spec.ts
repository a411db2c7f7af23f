import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../../../config/config';
import { defineErrors } from '../../../platform/errors/app-error';
import { toErrorResponse } from '../../../platform/errors/error-response';
import { LocalStorage } from '../../../platform/storage/local-storage';
import { sendMedia, type MediaObject } from './media-response';

// the catalogue entry the listening module declares; the helper takes it as a parameter
const Errors = defineErrors('listening', {
  rangeNotSatisfiable: {
    code: 'range_not_satisfiable',
    status: 416,
    message: 'Requested range not satisfiable.',
    description: 'test',
  },
});

/** The real local driver, remembering every stream it opened; `gate` holds reads back. */
class WatchedStorage extends LocalStorage {
  opened: Readable[] = [];
  gate?: Promise<void>;
  onEnter?: () => void;

  override async read(sha256: string): Promise<Readable> {
    this.onEnter?.();
    await this.gate;
    return this.watch(await super.read(sha256));
  }

  override async readRange(sha256: string, start: number, end: number): Promise<Readable> {
    this.onEnter?.();
    await this.gate;
    return this.watch(await super.readRange(sha256, start, end));
  }

  private watch(s: Readable): Readable {
    this.opened.push(s);
    return s;
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls (no timed assertion) until the condition holds or ~10 s passed. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await sleep(20);
}

describe('sendMedia', () => {
  const dir = mkdtempSync(join(tmpdir(), 'media-response-'));
  const storage = new WatchedStorage(loadConfig({ STORAGE_DIR: dir }));
  const objects = new Map<string, MediaObject>();
  let server: FastifyInstance;
  let port = 0;
  let small: MediaObject & { data: Buffer };
  let large: MediaObject & { data: Buffer };
  let empty: MediaObject & { data: Buffer };

  async function store(name: string, data: Buffer) {
    const received = await storage.receive(Readable.from([data]), data.length + 1);
    await storage.put(received.tempPath, received.sha256);
    const object = { sha256: received.sha256, bytes: data.length, contentType: 'audio/mpeg', data };
    objects.set(name, object);
    return object;
  }

  function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    await storage.onModuleInit();
    small = await store('small', randomBytes(1000));
    // far more than the loopback socket buffers hold: a client that stops reading leaves most unsent
    large = await store('large', Buffer.alloc(32 * 1024 * 1024, 7));
    empty = await store('empty', Buffer.alloc(0));

    server = Fastify({ logger: false });
    // what the global exception filter does with an AppError
    server.setErrorHandler((err, _req, reply) => {
      const r = toErrorResponse(err, 'req_test');
      return reply.status(r.status).headers(r.headers).send(r.body);
    });
    const handler = (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) =>
      sendMedia(req, reply, objects.get(req.params.name)!, storage, {
        maxAgeSeconds: Number(req.headers['x-max-age'] ?? 300),
        rangeNotSatisfiable: Errors.rangeNotSatisfiable,
      });
    // a GET route, whose HEAD route Fastify derives, and a route that declares HEAD itself
    server.get('/media/:name', handler);
    server.route({ method: ['GET', 'HEAD'], url: '/both/:name', handler });
    server.get('/missing', (req, reply) =>
      sendMedia(req, reply, { sha256: 'f'.repeat(64), bytes: 10, contentType: 'audio/mpeg' }, storage, {
        maxAgeSeconds: 300,
        rangeNotSatisfiable: Errors.rangeNotSatisfiable,
      }),
    );
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = (server.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the whole object with its validators and caching', async () => {
    const r = await get('/media/small');
    expect(r.status).toBe(200);
    expect(r.headers).toMatchObject({
      'accept-ranges': 'bytes',
      etag: `"${small.sha256}"`,
      'content-type': 'audio/mpeg',
      'cache-control': 'private, max-age=300',
      'content-length': '1000',
    });
    expect(r.headers['content-range']).toBeUndefined();
    expect(r.body.equals(small.data)).toBe(true);
    // the ETag is the content's own hash: strong by construction
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(small.sha256);
  });

  it('takes max-age from the link (whole seconds, never negative)', async () => {
    expect((await get('/media/small', { 'x-max-age': '42.9' })).headers['cache-control']).toBe(
      'private, max-age=42',
    );
    expect((await get('/media/small', { 'x-max-age': '-5' })).headers['cache-control']).toBe(
      'private, max-age=0',
    );
  });

  it('answers a range with 206, Content-Range and exactly those bytes', async () => {
    for (const [header, start, end] of [
      ['bytes=100-199', 100, 199],
      ['bytes=0-0', 0, 0],
      ['bytes=990-', 990, 999],
      ['bytes=-10', 990, 999],
      ['bytes=500-5000', 500, 999],
      ['bytes=0-', 0, 999],
    ] as const) {
      const r = await get('/media/small', { Range: header });
      expect([header, r.status]).toEqual([header, 206]);
      expect(r.headers).toMatchObject({
        'content-range': `bytes ${start}-${end}/1000`,
        'content-length': String(end - start + 1),
        'accept-ranges': 'bytes',
        etag: `"${small.sha256}"`,
        'content-type': 'audio/mpeg',
      });
      expect(r.body.equals(small.data.subarray(start, end + 1))).toBe(true);
    }
  });

  it('answers a range outside the object with range_not_satisfiable and Content-Range: bytes */size', async () => {
    const r = await get('/media/small', { Range: 'bytes=1000-' });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe('bytes */1000');
    expect(JSON.parse(r.body.toString()) as unknown).toMatchObject({ code: 'range_not_satisfiable' });
    const zero = await get('/media/empty', { Range: 'bytes=0-' });
    expect([zero.status, zero.headers['content-range']]).toEqual([416, 'bytes */0']);
  });

  it('serves the whole object for a malformed or multiple range', async () => {
    for (const header of ['bytes=abc', 'bytes=5-1', 'items=0-1', 'bytes=0-9,20-29']) {
      const r = await get('/media/small', { Range: header });
      expect([header, r.status, r.body.length]).toEqual([header, 200, 1000]);
    }
  });

  it('serves a zero-byte object', async () => {
    const r = await get('/media/empty');
    expect([r.status, r.headers['content-length'], r.body.length]).toEqual([200, '0', 0]);
    expect(r.headers.etag).toBe(`"${empty.sha256}"`);
    expect((await get('/media/empty', { Range: 'bytes=-5' })).status).toBe(200);
  });

  it('honours If-Range only for the current strong ETag', async () => {
    const range = { Range: 'bytes=0-9' };
    const same = await get('/media/small', { ...range, 'If-Range': `"${small.sha256}"` });
    expect([same.status, same.body.length]).toEqual([206, 10]);
    for (const ifRange of [`"${'0'.repeat(64)}"`, `W/"${small.sha256}"`, 'Tue, 15 Nov 1994 08:12:31 GMT']) {
      const r = await get('/media/small', { ...range, 'If-Range': ifRange });
      expect([ifRange, r.status, r.body.length]).toEqual([ifRange, 200, 1000]);
    }
    // a stale validator wins over an unsatisfiable range too: the client gets the new whole body
    expect((await get('/media/small', { Range: 'bytes=5000-', 'If-Range': '"other"' })).status).toBe(200);
  });

  it('answers If-None-Match with the ETag by 304, without opening the object', async () => {
    const before = storage.opened.length;
    for (const header of [`"${small.sha256}"`, `"x", W/"${small.sha256}"`, '*']) {
      for (const method of ['GET', 'HEAD']) {
        const r = await get('/media/small', { 'If-None-Match': header, Range: 'bytes=0-1' }, method);
        expect([header, method, r.status, r.body.length]).toEqual([header, method, 304, 0]);
        expect(r.headers.etag).toBe(`"${small.sha256}"`);
        expect(r.headers['cache-control']).toBe('private, max-age=300');
      }
    }
    expect(storage.opened.length).toBe(before);
    expect((await get('/media/small', { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('answers HEAD with the headers of the whole object and no body, on either kind of route', async () => {
    const before = storage.opened.length;
    for (const path of ['/media/small', '/both/small']) {
      for (const headers of [{}, { Range: 'bytes=0-9' }, { Range: 'bytes=5000-' }] as Record<
        string,
        string
      >[]) {
        const r = await get(path, headers, 'HEAD');
        expect([path, headers, r.status]).toEqual([path, headers, 200]);
        expect(r.headers).toMatchObject({
          'content-length': '1000',
          'accept-ranges': 'bytes',
          etag: `"${small.sha256}"`,
          'content-type': 'audio/mpeg',
        });
        expect(r.headers['content-range']).toBeUndefined();
        expect(r.body.length).toBe(0);
      }
    }
    expect(storage.opened.length).toBe(before);
    // the explicit route's GET works the same as the derived one's
    const r = await get('/both/small', { Range: 'bytes=1-2' });
    expect([r.status, r.body.equals(small.data.subarray(1, 3))]).toEqual([206, true]);
  });

  it('fails a missing object as an ordinary error answer, not as audio', async () => {
    const r = await get('/missing');
    expect(r.status).toBe(500);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers.etag).toBeUndefined();
  });

  /** Opens a request and returns the response once its first body bytes arrived. */
  function firstBytes(path: string, headers: Record<string, string> = {}) {
    return new Promise<{ res: IncomingMessage; destroy: () => void }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
        res.once('data', () => {
          res.pause();
          resolve({ res, destroy: () => req.destroy() });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET') reject(err);
      });
      req.end();
    });
  }

  it.each<[string, Record<string, string>]>([
    ['the whole body', {}],
    ['a range', { Range: 'bytes=1000-' }],
  ])('destroys the storage stream when the client goes away mid-body (%s)', async (_name, headers) => {
    const before = storage.opened.length;
    const { res, destroy } = await firstBytes('/media/large', headers);
    expect(res.statusCode).toBe(Object.keys(headers).length ? 206 : 200);
    expect(storage.opened.length).toBe(before + 1);
    const stream = storage.opened[before];
    destroy();
    await eventually(() => stream.destroyed && stream.closed);
    expect(stream.destroyed).toBe(true);
    expect(stream.closed).toBe(true); // the file descriptor is released
    expect(stream.readableEnded).toBe(false); // stopped, not read to the end
    expect((stream as Readable & { bytesRead: number }).bytesRead).toBeLessThan(large.bytes / 2);
  });

  it('destroys the storage stream when the client went away while the object was being opened', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inRead = new Promise<void>((r) => (entered = r));
    storage.gate = new Promise<void>((r) => (release = r));
    storage.onEnter = entered;
    try {
      const before = storage.opened.length;
      const req = httpRequest({ host: '127.0.0.1', port, path: '/media/large' });
      req.on('error', () => undefined); // the socket is destroyed on purpose
      req.end();
      await inRead;
      req.destroy();
      // the server has seen the connection close before the object is handed over
      const connections = () => new Promise<number>((r) => server.server.getConnections((_e, n) => r(n)));
      await eventually(async () => (await connections()) === 0);
      expect(await connections()).toBe(0);
      release();
      await eventually(() => storage.opened.length > before && storage.opened[before].closed);
      const stream = storage.opened[before];
      expect(stream.destroyed).toBe(true);
      expect(stream.closed).toBe(true);
      expect(stream.readableEnded).toBe(false);
    } finally {
      storage.gate = undefined;
      storage.onEnter = undefined;
    }
  });
});
