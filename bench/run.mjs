// `npm run bench [-- --quick] [workload ...]`: runs each workload against the app (the built
// server, as `npm start` runs it) and against a raw baseline doing the same SQL (bare Fastify +
// pg), app and raw rounds alternating in the same run, and ends with ONE table of every line of
// every workload: req/s, p50/p99 (ms) both sides, app/raw throughput and app/raw p99. Each
// workload also writes bench/results/<workload>.json; the run writes bench/results/summary.json.
// A failed invariant check, a failed app request, or a workload that throws fails the run
// (exit 1) after the others ran.
//
//   --quick            a regression check (< 3 min): 2 s loads, one round, small datasets, no
//                      1 M sizes, a 16 MB upload, no 60 s memory run (an explicit size wins)
//   BENCH_DURATION=10  seconds per load           BENCH_CONNECTIONS=16
//   BENCH_ROUNDS=3     alternating rounds; every figure is their median
//   BENCH_DATABASE_URL=postgres://…  a PostgreSQL server to use (else an embedded one)
//   BENCH_SQL_LOG=1    check the baselines instead: every statement logged, then a table per line
//                      of what each side sends per operation (bench/sql-log.mjs); a line whose
//                      app and raw statements differ fails the run. Not figures to quote.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const QUICK_ENV = {
  BENCH_QUICK: '1',
  BENCH_DURATION: '2',
  BENCH_ROUNDS: '1',
  BENCH_FP_SIZES: '5000',
  BENCH_FP_LOOKUPS: '100',
  BENCH_FP_INSERTS: '100',
  BENCH_UPLOAD_BYTES: String(16 * 1024 * 1024),
  BENCH_UPLOAD_ROUNDS: '1',
  BENCH_COMMERCE_FLOWS: '64',
  BENCH_COMMERCE_EVENTS: '320',
  BENCH_REQUESTS_DEBITS: '150',
  BENCH_REQUESTS_SUBMISSION_ROUNDS: '1',
  BENCH_REQUESTS_PER_PRODUCER: '2',
  BENCH_PLAYLISTS_ADDS: '150',
  BENCH_PLAYLISTS_MOVES: '200',
  BENCH_FEED_EDGES: '10000',
  BENCH_FEED_FOLLOWING: '2000',
  BENCH_RADIO_SIZES: '10000',
  BENCH_RADIO_DRAWS: '200',
  BENCH_TRACKS: '2000',
  BENCH_EARNINGS_PRODUCERS: '500',
};

const WORKLOADS = {
  foundation: () => import('./workloads/foundation.mjs'),
  tracks: () => import('./workloads/tracks.mjs'),
  fingerprints: () => import('./workloads/fingerprints.mjs'),
  uploads: () => import('./workloads/uploads.mjs'),
  commerce: () => import('./workloads/commerce.mjs'),
  requests: () => import('./workloads/requests.mjs'),
  playlists: () => import('./workloads/playlists.mjs'),
  feed: () => import('./workloads/feed.mjs'),
  radio: () => import('./workloads/radio.mjs'),
  listening: () => import('./workloads/listening.mjs'),
  earnings: () => import('./workloads/earnings.mjs'),
  memory: () => import('./workloads/memory.mjs'),
};
/** Left out of --quick unless named (a 60 s load is the point of it). */
const SLOW = new Set(['memory']);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--quick');
if (unknownFlags.length) throw new Error(`unknown option ${unknownFlags.join(' ')}; known: --quick`);
const wanted = args.filter((a) => !a.startsWith('-'));
for (const name of wanted)
  if (!WORKLOADS[name])
    throw new Error(`unknown workload ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);
const names = wanted.length ? wanted : Object.keys(WORKLOADS).filter((name) => !(quick && SLOW.has(name)));
if (quick) for (const [key, value] of Object.entries(QUICK_ENV)) process.env[key] ??= value;

// lib.mjs reads the knobs when first imported: after the quick defaults are in place
const { collected, CONNECTIONS, DURATION, ROOT, ROUNDS, SQL_LOG, SQL_LOG_FILE, stopDatabaseServer } =
  await import('./lib.mjs');

const started = performance.now();
const load0 = loadavg()[0];
// the built server, rebuilt only if its sources changed (the same check as `npm start`)
const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const outcomes = [];
try {
  for (const name of names) {
    console.log(`\n== ${name}`);
    const t0 = performance.now();
    const from = { rows: collected.rows.length, checks: collected.checks.length };
    let error;
    try {
      const { default: workload } = await WORKLOADS[name]();
      await workload();
    } catch (err) {
      error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.error(`  ${name} failed: ${error}`);
    }
    const rows = collected.rows.slice(from.rows).map((r) => ({ workload: name, ...r }));
    const checks = collected.checks.slice(from.checks);
    const problems = [
      ...(error ? [`threw: ${error.split('\n')[0]}`] : []),
      ...checks.filter((c) => !c.ok).map((c) => `check failed: ${c.what}`),
      ...rows.filter((r) => r.app.failed > 0).map((r) => `${r.title}: ${r.app.failed} app requests failed`),
      ...(!error && !rows.length ? ['reported no rows'] : []),
    ];
    outcomes.push({ name, seconds: +((performance.now() - t0) / 1000).toFixed(1), rows, checks, problems });
  }
} finally {
  await stopDatabaseServer();
}

const seconds = (performance.now() - started) / 1000;
const rows = outcomes.flatMap((o) => o.rows);
const cells = rows.map((r) => [
  r.workload,
  r.title,
  r.app.rps.toLocaleString('en'),
  `${r.app.p50} / ${r.app.p99}`,
  r.baseline.rps.toLocaleString('en'),
  `${r.baseline.p50} / ${r.baseline.p99}`,
  r.ratio.toFixed(2),
  r.p99Ratio === null || r.p99Ratio === undefined ? '' : r.p99Ratio.toFixed(2),
  r.app.failed || r.baseline.failed ? `${r.app.failed} / ${r.baseline.failed}` : '',
]);
const head = [
  'workload',
  'line',
  'app req/s',
  'app p50/p99',
  'raw req/s',
  'raw p50/p99',
  'app/raw',
  'p99 app/raw',
  'failed app/raw',
];
const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) =>
  c.map((x, i) => (i >= 2 && i <= 7 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ');
console.log(
  `\n== summary (${quick ? 'quick, ' : ''}${ROUNDS} round${ROUNDS === 1 ? '' : 's'} of ${DURATION} s loads, ` +
    `${CONNECTIONS} connections; medians; latencies in ms — see each workload's own lines for its units)`,
);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const c of cells) console.log(line(c));
const failures = outcomes.filter((o) => o.problems.length);
const load1 = loadavg()[0];
console.log(
  `\n${outcomes.length} workloads in ${seconds.toFixed(0)} s (${outcomes.map((o) => `${o.name} ${o.seconds.toFixed(0)} s`).join(', ')}); ` +
    `load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on this machine`,
);
for (const o of failures) for (const p of o.problems) console.log(`FAILED ${o.name}: ${p}`);

// a BENCH_SQL_LOG run: what each side sent, line by line
let statements;
if (SQL_LOG) {
  const { printStatements } = await import('./sql-log.mjs');
  statements = printStatements(SQL_LOG_FILE);
  const differ = statements.filter((l) => !l.same && !l.notSql);
  for (const l of differ) console.log(`FAILED statements: ${l.line}: app and raw send different statements`);
  console.log(`
statement log: ${SQL_LOG_FILE}`);
  if (differ.length) failures.push({ name: 'statements', problems: differ.map((l) => l.line) });
}

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench', 'results', 'summary.json'),
  JSON.stringify(
    {
      at: new Date().toISOString(),
      quick,
      rounds: ROUNDS,
      durationSeconds: DURATION,
      connections: CONNECTIONS,
      loadAverage: { start: load0, end: load1 },
      wallSeconds: +seconds.toFixed(1),
      workloads: outcomes.map(({ name, seconds: s, checks, problems }) => ({
        name,
        seconds: s,
        ok: problems.length === 0,
        checks,
        problems,
      })),
      rows,
      ...(statements ? { statements } : {}),
    },
    null,
    2,
  ),
);
process.exit(failures.length ? 1 : 0);
