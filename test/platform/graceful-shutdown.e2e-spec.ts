import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCurrentSource } from '../support/build-source';
import { freePort } from '../support/fleet';
import { createTestDatabase, TestDatabase, TEST_JWT_SECRET } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

interface Answer {
  status: number;
  body: string;
}

/** One request on a new connection (no keep-alive agent): its own TCP connect each time. */
function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The real server process (`src/main.ts`, compiled on load, as `npm start` runs it but without a
 * build) receives SIGTERM while a request is in flight: that request is answered, new connections
 * are refused, and the process exits 0 (the whole drain is bounded by 10 s in main.ts).
 */
describe('graceful shutdown of the server process', () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let output = '';
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'beat-shutdown-'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const waitForOutput = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(output)) {
          child!.stdout!.off('data', check);
          child!.off('exit', exited);
          resolve();
        }
      };
      const exited = (code: number | null) =>
        reject(new Error(`server exited (${code}) before printing ${pattern}:\n${output}`));
      child!.stdout!.on('data', check);
      child!.once('exit', exited);
      check();
    });

  it('answers the in-flight request, refuses new connections and exits 0', async () => {
    const port = await freePort();
    const { main } = await buildCurrentSource();
    child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        MIGRATE_ON_START: '0',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        JWT_SECRET: TEST_JWT_SECRET,
        TEST_HOOKS: '1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exit = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

    await waitForOutput(/API listening/);
    expect((await get(port, '/api/v1/health/ready')).status).toBe(200);

    const slow = get(port, '/api/v1/__test/sleep?ms=2000');
    await waitForOutput(/sleeping 2000 ms/);
    child.kill('SIGTERM');
    await waitForOutput(/SIGTERM: draining/);

    // the listener closes at once: a new connection is refused (one racing the close may still
    // have been accepted, and is then answered, or reset while waiting in the accept queue)
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      try {
        const early = await get(port, '/api/v1/health/ready');
        expect([200, 503]).toContain(early.status);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        expect(['ECONNREFUSED', 'ECONNRESET']).toContain(code);
        refused = code === 'ECONNREFUSED';
      }
    }
    expect(refused).toBe(true);

    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({ slept: 2000 });

    expect(await exit).toBe(0);
    expect(output).toMatch(/shut down/);
    expect(output).not.toMatch(/"level":(50|60)/);
  });
});
