// CPU profile of the built server under the benchmarks' load, one route at a time:
//
//   node bench/profile.mjs [health|me|track|tracks ...]   (default: all four)
//   PROFILE_RAW=1 node bench/profile.mjs ...                the raw baselines instead (same load)
//
// Each route gets a fresh server run under bench/profiled-main.mjs (the V8 sampling profiler, 1 ms,
// profiles in .data/profiles/), a 3-second warm-up, then BENCH_DURATION (10) seconds of
// autocannon at BENCH_CONNECTIONS (16), profiled; bench/cpuprofile-summary.mjs prints the summary.
// Same database setup as the workloads (embedded PostgreSQL, or BENCH_DATABASE_URL).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  appEnv,
  databaseServer,
  freshDatabase,
  json,
  load,
  ROOT,
  startServer,
  stopDatabaseServer,
} from './lib.mjs';
import { cycling, GENRES, seedCatalogue, visibleIds } from './workloads/tracks.mjs';

const wanted = process.argv.slice(2);
const routes = wanted.length ? wanted : ['health', 'me', 'track', 'tracks'];
const out = join(ROOT, '.data', 'profiles');

const server = await databaseServer();
const url = await freshDatabase(server.url, 'beat_bench_profile');
const db = new pg.Pool({ connectionString: url, max: 4 });
db.on('error', () => undefined);
const env = appEnv(url, join(ROOT, '.data', 'bench-profile'));
try {
  // a signed-in, verified user and the catalogue, through a server run without profiling
  const setup = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const email = `profile-${Date.now()}@bench.local`;
  await json(
    await fetch(`${setup.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password', display_name: 'Profile' }),
    }),
  );
  await db.query('UPDATE users SET email_verified_at = created_at WHERE email = $1', [email]);
  const login = await json(
    await fetch(`${setup.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password' }),
    }),
  );
  await setup.stop();
  const ids = visibleIds(await seedCatalogue(db));
  const headers = { authorization: `Bearer ${login.access_token}` };
  const raw = process.env.PROFILE_RAW === '1';
  const api = raw ? '' : '/api/v1';
  const plans = {
    health: () => ['/api/v1/health', {}, 'bench/baseline.mjs'],
    me: () => ['/api/v1/me', { headers }, 'bench/baseline.mjs'],
    track: () => {
      const paths = ids.map((id) => `${api}/tracks/${id}`);
      return [paths[0], { requests: cycling(paths) }, 'bench/tracks-raw.mjs'];
    },
    tracks: () => {
      const paths = GENRES.map((g) => `${api}/tracks?genre=${g}`);
      return [paths[0], { requests: cycling(paths) }, 'bench/tracks-raw.mjs'];
    },
  };

  for (const route of routes) {
    const dir = join(out, route);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${route}${raw ? '-raw' : ''}.cpuprofile`);
    rmSync(file, { force: true });
    const [path, opts, rawScript] = plans[route]();
    const app = await startServer(
      raw ? 'raw' : 'app',
      `${ROOT}/bench/profiled-main.mjs`,
      { ...env, PROFILE_OUT: file, ...(raw ? { PROFILE_SCRIPT: join(ROOT, rawScript) } : {}) },
      raw && rawScript === 'bench/tracks-raw.mjs' ? '/health' : '/api/v1/health',
    );
    await load(app.base + path, { ...opts, duration: 3 });
    process.kill(app.pid, 'SIGUSR2');
    const result = await load(app.base + path, opts);
    process.kill(app.pid, 'SIGUSR2');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // the write finishing
    await app.stop();
    console.log(
      `\n== ${route}${raw ? ' (raw)' : ''}: ${result.rps} req/s, p50 ${result.p50} / p99 ${result.p99} ms, failed ${result.failed}`,
    );
    spawnSync(
      process.execPath,
      [join(ROOT, 'bench', 'cpuprofile-summary.mjs'), file, process.env.PROFILE_TOP ?? '25'],
      { stdio: 'inherit' },
    );
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await db.end();
  await server.stop();
  await stopDatabaseServer();
}
