import fc from 'fast-check';
import { Agent, request as httpRequest } from 'node:http';
import { CATALOGUE } from '../../src/catalogue';
import { fromSchema, hostileString, hostileValue, resolve, Schema } from './arbitraries';
import { CommerceApp, startCommerceApp } from '../support/commerce';
import { createArtist } from '../support/catalog';
import { login, loginAdmin, registerUser, TestUser } from '../support/users';
import { piece, wav } from '../support/audio';

/**
 * Requests for every operation of the (admin) OpenAPI document — schema-valid and hostile values,
 * as anonymous, user and admin — against the real app (Stripe faked at its wire protocol). Every
 * answer must be below 500, carry X-Request-Id, be in the envelope when it is an error (code from
 * the catalogue, with its status), and have a status the operation declares.
 *
 *   npm run fuzz                               10,000 requests, random seed (printed)
 *   FUZZ_RUNS=1000 FUZZ_SEED=42 npm run fuzz   what CI runs
 *   FUZZ_SEED=… FUZZ_PATH=… npm run fuzz       replays a failure (fast-check prints both)
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const PATH = process.env.FUZZ_PATH;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
  'x-access'?: string;
}
interface Target {
  method: string;
  path: string;
  op: Operation;
}

type Identity = 'anonymous' | 'user' | 'admin';
type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; contentType: string; data: string }
  | {
      kind: 'multipart';
      parts: { name: string; filename?: string; data: string | Buffer }[];
      truncate: boolean;
    };

interface FuzzRequest {
  target: number;
  as: Identity;
  path: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body: Body;
}

const CODE_STATUS = new Map(CATALOGUE.map((e) => [e.code, e.status]));

/** encodeURIComponent, except for what cannot be UTF-8 (a lone surrogate): its CESU bytes instead. */
const encode = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\uD800-\uDFFF]/g, '%ED%A0%80').replace(/[^%A-Za-z0-9]/g, (c) => encodeURIComponent(c));
  }
};

describe('OpenAPI fuzz', () => {
  let c: CommerceApp;
  let targets: Target[];
  let schemas: Record<string, Schema>;
  const ids: string[] = [];
  const auth: Record<Identity, string | undefined> = {
    anonymous: undefined,
    user: undefined,
    admin: undefined,
  };
  let user: TestUser;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  async function refreshIdentities(): Promise<void> {
    const admin = await loginAdmin(c.t);
    auth.admin = admin.auth.Authorization;
    try {
      auth.user = (await login(c.t, user.email, user.password)).auth.Authorization;
    } catch {
      user = await registerUser(c.t); // the admin side of the fuzz may have suspended the last one
      auth.user = user.auth.Authorization;
      ids.push(user.id);
    }
  }

  beforeAll(async () => {
    c = await startCommerceApp();
    user = await registerUser(c.t);
    const other = await registerUser(c.t);
    await refreshIdentities();
    const upload = await c.t.http
      .post('/api/v1/tracks')
      .set(user.auth)
      .field('title', 'Fuzz')
      .field('bpm', '90')
      .field('genre', 'trap')
      .attach('audio', wav(piece(5, 2)), 'a.wav')
      .expect(201);
    await c.t.drain();
    const artist = await createArtist(c.t, user, 'fuzz-artist');
    ids.push(user.id, other.id, upload.body.id as string, artist.id, artist.slug);

    const doc = (
      await c.t.http.get('/api/v1/admin/docs/openapi.json').set('Authorization', auth.admin!).expect(200)
    ).body as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    };
    schemas = doc.components.schemas;
    targets = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op && typeof op === 'object' && 'responses' in op)
        // the maintenance switch would answer every later request 503 on purpose
        .filter(([method]) => !(path === '/api/v1/admin/maintenance' && method === 'put'))
        .map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
    process.stdout.write(`fuzz: ${RUNS} requests over ${targets.length} operations, FUZZ_SEED=${SEED}\n`);
  });

  afterAll(async () => {
    agent.destroy();
    await c?.close();
  });

  const pathValue = () =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...ids).map(encode), weight: 8 },
      // an empty segment would address another route: not what this value is about
      { arbitrary: hostileString.filter((s) => s !== '').map(encode), weight: 1 },
      {
        arbitrary: fc.constantFrom(
          '%00',
          '%E0%A4%A',
          '%ED%A0%80',
          'a'.repeat(150),
          '-1',
          '0.5',
          '1e308',
          '%2e%2e',
        ),
        weight: 1,
      },
    );

  function requestArb(): fc.Arbitrary<FuzzRequest> {
    return fc.integer({ min: 0, max: targets.length - 1 }).chain((target) => {
      const { op } = targets[target];
      const params = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const json = op.requestBody?.content['application/json']?.schema;
      const multipart = op.requestBody?.content['multipart/form-data']?.schema;
      const hostility = fc.constantFrom(0, 0, 0.2, 0.5);

      const query = hostility.chain((h) =>
        fc
          .tuple(
            ...queryParams.map((p) =>
              fc.option(
                fromSchema(p.schema ?? { type: 'string' }, schemas, h).map(
                  (v) => [p.name, encode(String(v))] as [string, string],
                ),
                { nil: undefined },
              ),
            ),
            fc.option(
              fc.constantFrom<[string, string]>(
                ['cursor', 'eyJ4IjoxfQ'],
                ['cursor', encode(Buffer.from('["-271821-04-20T00:00:00.000Z","x"]').toString('base64url'))],
                ['limit', '1e308'],
                ['limit', '-5'],
                ['q', '%00'],
                ['x', '%E0%A4%A'],
                ['unknown_param', '1'],
              ),
              { nil: undefined },
            ),
          )
          .map((pairs) => pairs.filter((p): p is [string, string] => p !== undefined)),
      );

      const body: fc.Arbitrary<Body> = !op.requestBody
        ? fc.constant({ kind: 'none' })
        : fc.oneof(
            {
              arbitrary: hostility.chain((h) =>
                fromSchema(json ?? multipart ?? {}, schemas, h).map(
                  (value): Body => ({ kind: 'json', value }),
                ),
              ),
              weight: 6,
            },
            { arbitrary: hostileValue.map((value): Body => ({ kind: 'json', value })), weight: 1 },
            {
              arbitrary: fc.constantFrom<Body>(
                {
                  kind: 'raw',
                  contentType: 'application/json',
                  data: `{"a":${'['.repeat(1500)}${']'.repeat(1500)}}`,
                },
                { kind: 'raw', contentType: 'application/json', data: '{"a":' },
                { kind: 'raw', contentType: 'application/json', data: '' },
                { kind: 'raw', contentType: 'text/plain', data: 'hello' },
                { kind: 'raw', contentType: 'application/x-www-form-urlencoded', data: 'a=1' },
                { kind: 'raw', contentType: 'multipart/form-data; boundary=xyz', data: 'not multipart' },
                { kind: 'raw', contentType: 'multipart/form-data', data: '--x\r\n' },
              ),
              weight: 1,
            },
            ...(multipart
              ? [
                  {
                    arbitrary: fc
                      .record({
                        title: fc.oneof(fc.string({ maxLength: 30 }), hostileString),
                        extra: fc.nat({ max: 30 }),
                        files: fc.nat({ max: 2 }),
                        truncate: fc.boolean(),
                      })
                      .map(
                        ({ title, extra, files, truncate }): Body => ({
                          kind: 'multipart',
                          truncate,
                          parts: [
                            { name: 'title', data: title },
                            { name: 'bpm', data: '90' },
                            { name: 'genre', data: 'trap' },
                            ...Array.from({ length: extra }, (_, i) => ({ name: `f${i}`, data: 'x' })),
                            ...Array.from({ length: files }, (_, i) => ({
                              name: 'audio',
                              filename: `${i}.wav`,
                              data: i ? Buffer.from('RIFF----WAVEfmt nonsense') : wav(piece(i + 1, 1)),
                            })),
                          ],
                        }),
                      ),
                    weight: 2,
                  },
                ]
              : []),
          );

      const headers = fc
        .record(
          {
            'If-Match': fc.constantFrom('"99999999999999999999"', '"1"', 'W/"-1"', '*', 'garbage', '"0.5"'),
            'Idempotency-Key': fc.oneof(fc.uuid(), fc.constant('k'.repeat(300))),
            'X-Request-Id': fc.constantFrom('short', 'x'.repeat(200), 'ok-request-id-123'),
            'Accept-Encoding': fc.constant('gzip, deflate, br'),
          },
          { requiredKeys: [] },
        )
        .chain((h) =>
          // one request in 20 carries a 100 kB header
          fc.nat({ max: 19 }).map((n) => (n === 0 ? { ...h, 'X-Big': 'b'.repeat(100_000) } : h)),
        );

      return fc.record({
        target: fc.constant(target),
        as: fc.constantFrom<Identity>('anonymous', 'user', 'admin'),
        path: fc
          .tuple(...pathParams.map(() => pathValue()))
          .map((values) => Object.fromEntries(pathParams.map((p, i) => [p.name, values[i]]))),
        query,
        headers,
        body,
      });
    });
  }

  function send(r: FuzzRequest): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const t = targets[r.target];
    let path = t.path.replace(/\{(\w+)\}/g, (_, name: string) => r.path[name] ?? 'x');
    if (r.query.length) path += `?${r.query.map(([k, v]) => `${encode(k)}=${v}`).join('&')}`;
    const headers: Record<string, string | number> = { ...r.headers };
    if (auth[r.as]) headers.Authorization = auth[r.as]!;
    let payload: Buffer | undefined;
    if (r.body.kind === 'json') {
      payload = Buffer.from(JSON.stringify(r.body.value) ?? 'null');
      headers['Content-Type'] = 'application/json';
    } else if (r.body.kind === 'raw') {
      payload = Buffer.from(r.body.data);
      headers['Content-Type'] = r.body.contentType;
    } else if (r.body.kind === 'multipart') {
      const boundary = 'fuzzboundary';
      const chunks: Buffer[] = [];
      for (const p of r.body.parts) {
        const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
        chunks.push(
          Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`),
          Buffer.from(p.data),
          Buffer.from('\r\n'),
        );
      }
      chunks.push(Buffer.from(`--${boundary}--\r\n`));
      payload = Buffer.concat(chunks);
      if (r.body.truncate) payload = payload.subarray(0, Math.floor(payload.length * 0.6));
      headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
    }
    if (payload) headers['Content-Length'] = payload.length;
    const url = new URL(c.t.url);
    return new Promise((resolvePromise, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, method: t.method, path, headers, agent },
        (res) => {
          // a live stream (GET /me/events) never ends: its status and headers are the answer
          if (String(res.headers['content-type']).startsWith('text/event-stream')) {
            res.destroy();
            resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolvePromise({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      // a request that gets no answer is a finding too (a hung connection), not a hung run
      req.setTimeout(30_000, () => req.destroy(new Error(`no answer within 30 s: ${t.method} ${path}`)));
      if (payload) req.end(payload);
      else req.end();
    });
  }

  it(`${RUNS} requests: no 5xx, every answer in the envelope with X-Request-Id, every status declared`, async () => {
    let count = 0;
    const statuses = new Map<number, number>();
    const details = await fc.check(
      fc.asyncProperty(requestArb(), async (r) => {
        if (++count % 250 === 0) await refreshIdentities();
        const t = targets[r.target];
        const res = await send(r);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const where = `${t.method} ${t.path} as ${r.as} → ${res.status} ${res.body.slice(0, 300)}`;
        if (res.status >= 500) {
          const cause = c.t.logs.errors(String(res.headers['x-request-id']))[0]?.err;
          throw new Error(
            `5xx: ${where}\nlogged cause: ${cause?.message ?? 'none'}\n${cause?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`,
          );
        }
        const requestId = res.headers['x-request-id'];
        if (typeof requestId !== 'string' || !requestId) throw new Error(`no X-Request-Id: ${where}`);
        if (res.status >= 400) {
          let body: { message?: unknown; code?: unknown; request_id?: unknown };
          try {
            body = JSON.parse(res.body) as typeof body;
          } catch {
            throw new Error(`error body is not JSON: ${where}`);
          }
          if (
            typeof body.message !== 'string' ||
            typeof body.code !== 'string' ||
            body.request_id !== requestId
          )
            throw new Error(`not the envelope: ${where}`);
          if (CODE_STATUS.get(body.code) !== res.status)
            throw new Error(`code ${body.code} is not a catalogue code with status ${res.status}: ${where}`);
        }
        if (!(String(res.status) in t.op.responses))
          throw new Error(
            `status ${res.status} not declared (${Object.keys(t.op.responses).join(', ')}): ${where}`,
          );
      }),
      { seed: SEED, numRuns: RUNS, path: PATH, endOnFailure: true },
    );
    process.stdout.write(
      `fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}\n`,
    );
    if (details.failed) {
      const shown = JSON.stringify(details.counterexample, (_k, v: unknown) =>
        typeof v === 'string' && v.length > 200 ? `${v.slice(0, 60)}…(${v.length} chars)` : v,
      );
      throw new Error(
        `after ${details.numRuns} requests: ${(details.errorInstance as Error | undefined)?.message ?? 'failed'}\n` +
          `request: ${shown}\nreplay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath} npm run fuzz`,
      );
    }
  });
});

// keep the type import used for documentation of the generators
export type { Schema };
void resolve;
