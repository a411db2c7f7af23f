import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { expectError } from '../support/expect-error';
import { freePort } from '../support/fleet';
import { createTestDatabase, TestDatabase, TEST_JWT_SECRET } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/**
 * A production start's environment: PATH and HOME, NODE_ENV=production and what the caller names;
 * nothing of Jest's (its NODE_ENV=test, TEST_* and E2E_* variables).
 */
const PRODUCTION_ENV = (extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  NODE_ENV: 'production',
  ...extra,
});

/** main.ts's own console lines (everything else on stdout is the pino logger's JSON) */
const MAIN_LINES = [
  /^API listening on http:\/\/localhost:\d+\/api\/v1 /,
  /^SIGTERM: draining /,
  /^shut down$/,
];

interface LogLine {
  level: number;
  time: number;
  pid: number;
  msg: string;
  reqId?: string;
  [key: string]: unknown;
}

/**
 * The server as production runs it: `npm start` is `prestart` (node scripts/build.mjs: the Prisma
 * client, tsc into dist/, the admin console) then `node dist/main.js`. Every other e2e spec
 * compiles src/ with SWC (in the Jest process, or test/support/build-source.ts for the process
 * specs) and so never runs what tsc emits. Here: build with the real script, start dist/main.js
 * with a production environment (NODE_ENV=production, no test hooks, jobs running on their own,
 * migrations on start) on a database of its own, send one request per module, then SIGTERM.
 *
 * This is the only spec that writes dist/ (the others build into .data/fleet-build/ or a temp
 * folder), so parallel test files never race on it; the build is incremental (a no-op when dist/
 * is fresh, as after `npm install`).
 */
describe('the built server (dist/main.js, as npm start runs it)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let http: ReturnType<typeof request>;
  let stdout = '';
  let stderr = '';
  let buildOutput = '';
  const requestId = `smoke-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'beat-built-server-'));

    // prestart, with the environment `npm start` would give it
    try {
      const built = await promisify(execFile)(process.execPath, ['scripts/build.mjs'], {
        cwd: ROOT,
        env: PRODUCTION_ENV({}),
        maxBuffer: 64 * 1024 * 1024,
      });
      buildOutput = built.stdout + built.stderr;
      process.stdout.write(
        `built-server: ${buildOutput
          .split('\n')
          .filter((l) => l.startsWith('build: '))
          .join(' | ')}\n`,
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`node scripts/build.mjs failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }

    const port = await freePort();
    child = spawn(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      env: PRODUCTION_ENV({
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        JWT_SECRET: TEST_JWT_SECRET,
        // the documented knob that logs every request (the default, info, logs only 5xx and slow ones)
        LOG_LEVEL: 'debug',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const proc = child;
    // 'close': the process ended and its stdout and stderr are read to the end
    exited = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
    http = request(`http://127.0.0.1:${port}`);

    // ready: GET /health/ready answers 200 (503 while starting); fails at once if the process
    // exits, and after two minutes rather than at the hook's timeout if it hangs
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`dist/main.js exited while starting:\n${stdout}\n${stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`dist/main.js not ready after 120 s:\n${stdout}\n${stderr}`);
      const status = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`)
        .then(async (res) => (await res.arrayBuffer(), res.status))
        .catch(() => 0);
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 600_000);

  /** The mail to `address` the server wrote under DATA_DIR/mail/, once it is there. */
  async function mailTo(address: string): Promise<{ subject: string; text: string }> {
    const dir = join(dataDir, 'mail');
    for (;;) {
      const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(`-${address}.json`)) : undefined;
      try {
        if (file)
          return JSON.parse(readFileSync(join(dir, file), 'utf8')) as { subject: string; text: string };
      } catch {
        // seen while it is being written: read it again
      }
      if (child!.exitCode !== null) throw new Error(`the server exited:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  afterAll(async () => {
    if (child) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited; // its pipes closed too
    }
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('is built by prestart into dist/ and boots from it', async () => {
    expect(buildOutput).toMatch(/^build: /m);
    expect(existsSync(join(ROOT, 'dist', 'main.js'))).toBe(true);
    expect(child!.spawnargs.slice(1)).toEqual(['dist/main.js']);
    const health = await http.get('/api/v1/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { db: { ok: true } } });
    expect(stdout).toMatch(/^API listening on http:\/\/localhost:\d+\/api\/v1 /m);
  });

  it('answers one request per module', async () => {
    const email = `smoke-${process.pid}-${Date.now()}@test.local`;
    const password = 'correct-horse-battery';

    // auth
    const registered = await http
      .post('/api/v1/auth/register')
      .send({ email, password, display_name: 'Smoke Test' })
      .expect(201);
    const userId = (registered.body as { id: string }).id;
    expect(registered.body).toMatchObject({ email, display_name: 'Smoke Test', email_verified: false });
    // jobs and mail: the process's own job worker sends the verification mail, which without
    // SMTP_URL is written under DATA_DIR/mail/
    const token = /[?&]token=([A-Za-z0-9_-]+)/.exec((await mailTo(email)).text)?.[1];
    expect(token).toBeDefined();
    expect((await http.post('/api/v1/auth/verify-email').send({ token }).expect(200)).body).toEqual({
      email_verified: true,
    });
    const login = await http.post('/api/v1/auth/login').send({ email, password }).expect(200);
    expect(login.body).toMatchObject({ token_type: 'Bearer' });
    const auth = { Authorization: `Bearer ${(login.body as { access_token: string }).access_token}` };

    // accounts
    const me = await http.get('/api/v1/me').set(auth).expect(200);
    expect(me.body).toMatchObject({ id: userId, email, role: 'user', plan: { id: 'explorer' } });

    // tracks
    expect((await http.get('/api/v1/tracks').set(auth).expect(200)).body).toEqual({
      data: [],
      next_cursor: null,
    });

    // artists
    const slug = `smoke-${process.pid}`;
    const artist = await http
      .post('/api/v1/artists')
      .set(auth)
      .send({ name: 'Smoke Artist', slug })
      .expect(201);
    expect((await http.get(`/api/v1/artists/${slug}`).expect(200)).body).toMatchObject({
      id: (artist.body as { id: string }).id,
      slug,
      verified: false,
    });

    // plans and billing
    const plans = (await http.get('/api/v1/plans').expect(200)).body as { data: { id: string }[] };
    expect(plans.data.map((p) => p.id)).toEqual(['explorer', 'classic', 'plus', 'pro']);
    expect((await http.get('/api/v1/me/subscription').set(auth).expect(200)).body).toMatchObject({
      plan: { id: 'explorer' },
    });

    // licensing
    expect((await http.get('/api/v1/licenses').set(auth).expect(200)).body).toEqual({
      data: [],
      next_cursor: null,
    });

    // beat requests
    expect((await http.get('/api/v1/beat-requests').set(auth).expect(200)).body).toMatchObject({
      data: [],
    });
    expect((await http.get('/api/v1/me/request-tokens').set(auth).expect(200)).body).toMatchObject({
      balance: 1,
      monthly_allowance: 1,
    });

    // library
    expect((await http.get('/api/v1/library/tracks').set(auth).expect(200)).body).toEqual({
      data: [],
      next_cursor: null,
    });

    // playlists
    const playlist = await http
      .post('/api/v1/playlists')
      .set(auth)
      .send({ name: 'Smoke', visibility: 'private' })
      .expect(201);
    const mine = (await http.get('/api/v1/me/playlists').set(auth).expect(200)).body as {
      data: { id: string }[];
    };
    expect(mine.data.map((p) => p.id)).toEqual([(playlist.body as { id: string }).id]);

    // social
    expect((await http.get(`/api/v1/users/${userId}`).set(auth).expect(200)).body).toMatchObject({
      id: userId,
      display_name: 'Smoke Test',
    });

    // messaging
    expect((await http.get('/api/v1/conversations').set(auth).expect(200)).body).toEqual({
      data: [],
      next_cursor: null,
    });

    // radio
    expect((await http.get('/api/v1/radio/stations').set(auth).expect(200)).body).toMatchObject({
      data: expect.any(Array),
    });

    // production: no test hooks
    expectError(await http.get('/api/v1/__test/clock'), 404, 'route_not_found');

    // admin: a non-admin learns nothing
    expectError(await http.get('/api/v1/admin/users').set(auth), 404, 'route_not_found');

    // errors catalogue
    const catalogue = (await http.get('/api/v1/errors').expect(200)).body as { data: { code: string }[] };
    expect(catalogue.data.map((e) => e.code)).toEqual(
      expect.arrayContaining(['route_not_found', 'license_not_found', 'validation_failed']),
    );

    // docs: the OpenAPI document, with the schemas the Swagger plugin's metadata (src/metadata.ts) adds
    const doc = (await http.get('/api/v1/docs/openapi.json').expect(200)).body as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/v1/auth/register']).toBeDefined();
    expect(Object.keys(doc.components.schemas.RegisterDto.properties ?? {}).sort()).toEqual([
      'display_name',
      'email',
      'password',
    ]);
  });

  it('answers errors with the envelope and the request id, validation included', async () => {
    const missing = await http.get('/api/v1/licenses/verify/unknown').set('X-Request-Id', requestId);
    expectError(missing, 404, 'license_not_found');
    expect(missing.headers['x-request-id']).toBe(requestId);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);

    // class-validator reads the decorators and their metadata as tsc emitted them
    const invalid = await http
      .post('/api/v1/auth/register')
      .send({ email: 'not-an-email', password: 'short', display_name: 'X' });
    expectError(invalid, 422, 'validation_failed');
    expect(Object.keys((invalid.body as { errors: Record<string, string[]> }).errors).sort()).toEqual([
      'email',
      'password',
    ]);
  });

  it('exits 0 on SIGTERM within the documented 10 s, with nothing on stderr', async () => {
    child!.kill('SIGTERM');
    // main.ts exits 1 itself when the drain passes 10 s; the test only guards against a hang
    const guard = setTimeout(() => child!.kill('SIGKILL'), 30_000);
    const { code, signal } = await exited;
    clearTimeout(guard);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stdout).toMatch(/^SIGTERM: draining /m);
    expect(stdout).toMatch(/^shut down$/m);
    expect(stderr).not.toMatch(/DeprecationWarning/);
    expect(stderr).not.toMatch(/Error/);
    expect(stderr).toBe('');
  });

  it('wrote JSON lines on stdout, a line for each request', () => {
    // read after the exit, so every line the process wrote is in
    const lines = stdout.split('\n').filter((l) => l.trim() !== '');
    const notJson = lines.filter((l) => !MAIN_LINES.some((re) => re.test(l)) && !l.startsWith('{'));
    expect(notJson).toEqual([]);
    const entries = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
    for (const e of entries) {
      expect(e).toMatchObject({
        level: expect.any(Number),
        time: expect.any(Number),
        pid: child!.pid,
        msg: expect.any(String),
      });
    }
    // the error answered in the test above: one line, at debug (LOG_LEVEL=debug logs every request)
    expect(entries.filter((e) => e.reqId === requestId)).toEqual([
      expect.objectContaining({
        level: 20,
        msg: 'request completed',
        method: 'GET',
        url: '/api/v1/licenses/verify/unknown',
        status: 404,
      }),
    ]);
    expect(entries.filter((e) => e.level >= 50)).toEqual([]);
  });
});
