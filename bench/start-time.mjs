// `node bench/start-time.mjs`: seconds from `npm start` to the first 200 from /api/v1/health on
// an installed, built checkout (the goal: ≤ 5 s), median of START_ROUNDS (3):
//
//   - embedded PostgreSQL, its data directory already initialised (the usual second start);
//   - DATABASE_URL set (BENCH_DATABASE_URL's server, else the benchmarks' embedded one), a
//     database already migrated by a first start;
//   - the first start ever (initdb of the embedded data directory, then every migration), once;
//   - after a change under src/ (the prestart check recompiles: `touch src/main.ts`), once;
//   - the prestart freshness check alone when nothing changed (`node scripts/build.mjs`, and
//     `npm run build` with npm's own start-up), median of 5.
//
// The server's data goes to .data/start-time (never the checkout's .data/postgres, which a running
// `npm start` may hold). A timed script, not a test: figures depend on the machine's load.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { databaseServer, freePort, ROOT, stopDatabaseServer, withDatabase } from './lib.mjs';

const ROUNDS = Number(process.env.START_ROUNDS ?? 3);
const DATA = join(ROOT, '.data', 'start-time');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => `${s.toFixed(2)} s`;

/** Runs `npm start` in its own process group; resolves with seconds to a 200 from /health. */
async function startOnce(env) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, DATABASE_URL: '', ...env, PORT: String(port), DATA_DIR: DATA },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${log}`);
      if (performance.now() - t0 > 120_000) throw new Error(`no healthy answer in 120 s:\n${log}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
        await res.arrayBuffer();
        if (res.status === 200) return { seconds: (performance.now() - t0) / 1000, log };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    // SIGINT to the group (npm, the server, the embedded PostgreSQL), then wait for all of it
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {
      // already gone
    }
    await exited;
    for (let i = 0; i < 200 && existsSync(join(DATA, 'postgres', 'postmaster.pid')); i++)
      await new Promise((r) => setTimeout(r, 50));
  }
}

function timed(cmd, args) {
  const t0 = performance.now();
  const res = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${res.stdout}${res.stderr}`);
  return { seconds: (performance.now() - t0) / 1000, out: res.stdout };
}

// a built checkout first (this is not what is measured)
timed(process.execPath, ['scripts/build.mjs']);

const results = {};
console.log(`npm start → 200 from /api/v1/health (median of ${ROUNDS}; goal ≤ 5 s)`);

rmSync(DATA, { recursive: true, force: true });
results.firstEver = (await startOnce({})).seconds;
console.log(`  first start ever (embedded initdb + migrations): ${fmt(results.firstEver)}`);

const embedded = [];
for (let i = 0; i < ROUNDS; i++) embedded.push((await startOnce({})).seconds);
results.embedded = median(embedded);
console.log(
  `  embedded PostgreSQL, initialised:                 ${fmt(results.embedded)}  (${embedded.map(fmt).join(', ')})`,
);

const server = await databaseServer();
try {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS beat_bench_start WITH (FORCE)');
  await admin.query('CREATE DATABASE beat_bench_start');
  await admin.end();
  const env = { DATABASE_URL: withDatabase(server.url, 'beat_bench_start') };
  results.databaseUrlFirst = (await startOnce(env)).seconds; // applies the migrations
  const external = [];
  for (let i = 0; i < ROUNDS; i++) external.push((await startOnce(env)).seconds);
  results.databaseUrl = median(external);
  console.log(
    `  DATABASE_URL set, database migrated:              ${fmt(results.databaseUrl)}  (${external.map(fmt).join(', ')}; the migrating first one ${fmt(results.databaseUrlFirst)})`,
  );
} finally {
  await stopDatabaseServer();
}

// after a code change: prestart sees src/ newer than its stamp and recompiles (tsc, incremental)
const now = new Date();
utimesSync(join(ROOT, 'src', 'main.ts'), now, now);
const changed = await startOnce({});
results.afterChange = changed.seconds;
const rebuilt = /build: server \([^)]*\) in [\d.]+ s/.exec(changed.log)?.[0] ?? 'no rebuild seen';
console.log(`  after a change under src/ (${rebuilt}): ${fmt(results.afterChange)}`);

const check = [];
const npmCheck = [];
for (let i = 0; i < 5; i++) {
  const r = timed(process.execPath, ['scripts/build.mjs']);
  if (!r.out.includes('up to date')) throw new Error(`the check rebuilt something:\n${r.out}`);
  check.push(r.seconds);
  npmCheck.push(timed('npm', ['run', 'build']).seconds);
}
results.freshnessCheck = median(check);
results.freshnessCheckViaNpm = median(npmCheck);
console.log(
  `freshness check when nothing changed: node scripts/build.mjs ${fmt(results.freshnessCheck)}, npm run build ${fmt(results.freshnessCheckViaNpm)}`,
);
console.log(JSON.stringify(results));
rmSync(DATA, { recursive: true, force: true });
