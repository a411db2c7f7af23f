import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../support/fleet';
import { createTestDatabase, TestDatabase, TEST_JWT_SECRET } from '../support/test-app';

/**
 * The server as its own process (the current source, `npm start`'s path) prints no process
 * warning while it starts, works and stops. A warning of Node's is printed once per process, on
 * stderr, where the Jest process never sees it: pg's "Calling client.query() when the client is
 * already executing a query is deprecated" came at every start from pg-boss's per-connection
 * session statement (asked for by an attachable clock) racing the pool's first checkout.
 */
describe('process warnings', () => {
  let db: TestDatabase;
  let dataDir: string;
  let fleet: Fleet | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'beat-boot-warnings-'));
  });

  afterAll(async () => {
    await fleet?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('none from start to stop (no DeprecationWarning from pg)', async () => {
    fleet = await Fleet.start({
      size: 1,
      label: 'boot-warnings',
      env: {
        DATABASE_URL: db.url,
        DATA_DIR: dataDir,
        JWT_SECRET: TEST_JWT_SECRET,
        // the workers poll pg-boss's pool as production does
        JOBS_AUTORUN: '1',
      },
    });
    const app = fleet.at(0);
    // requests that use every pool: the app's (pg and Prisma) and pg-boss's (registration mails)
    await app.http
      .post('/api/v1/auth/register')
      .send({ email: 'warnings@test.local', password: 'a-long-password-1', display_name: 'W' })
      .expect(201);
    await app.http.get('/api/v1/tracks').expect(200);
    await app.http.get('/api/v1/health').expect(200);
    await fleet.stop();

    const output = readFileSync(join(fleet.logDir, 'app1.log'), 'utf8');
    expect(output).toMatch(/API listening on/);
    // Node prints a warning as "(node:<pid>) [code] <Kind>Warning: …"
    expect(output.split('\n').filter((line) => /^\(node:\d+\) |DeprecationWarning/.test(line))).toEqual([]);
  }, 180_000);
});
