// What each side of each benchmark line sends to PostgreSQL, from the statement log of a
// `BENCH_SQL_LOG=1` run (bench/lib.mjs): per line, every distinct statement with how it was sent
// (a simple query, an unnamed extended-protocol statement, or a statement prepared by name) and
// how many times per operation the app and the raw baseline ran it. A baseline is like-for-like
// when both columns agree; `npm run bench` prints this table at the end of such a run and fails
// it when a line's statements differ.
//
//   BENCH_SQL_LOG=1 npm run bench -- --quick requests playlists     the run, then the table
//   node bench/sql-log.mjs [statements.json]                         the table of the last run
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Counts within this share of each other (or 0.02 per operation) agree: requests cut off at the end of a load. */
const TOLERANCE = 0.05;
/**
 * Each side's clients: its server's pool (application name bench-app / bench-raw) and its job
 * queue's pool (pg-boss; the app's names itself beat-platform-jobs, the raw baseline's, the app's
 * JobsService too, bench-raw-jobs). Anyone else is listed apart (the workload's own checks).
 */
const POOLS = {
  app: { 'bench-app': '', 'beat-platform-jobs': 'jobs pool: ' },
  raw: { 'bench-raw': '', 'bench-raw-jobs': 'jobs pool: ' },
};
/**
 * Statements whose number per operation is not the route's but the moment's, compared by
 * presence (both sides send it, or neither): the maintenance switch (read at most once a second
 * per process, by every request that finds the copy stale) and, on a line with submissions in
 * batches, submission_try (one call per batch: how many go together depends on how many arrive
 * while a call runs). Their calls per operation are shown, with the average batch.
 */
const byPresence = (line, how) =>
  how === 'prepared maintenance_read' || (how === 'prepared submission_try' && /, batched/.test(line));
/**
 * pg-boss's own work on the jobs pool (supervision, maintenance, its queue cache) goes on whatever
 * the requests do, in the app (JOBS_AUTORUN=0 stops only the workers) and in a raw baseline that
 * queues jobs: counted apart, not compared. The job rows requests insert are compared.
 */
const background = (how, text) => how.startsWith('jobs pool: ') && !/^INSERT INTO pgboss\.job/.test(text);
/**
 * Statements of one kind whose variant depends on the caller's data, compared as one: the radio's
 * draw (its text and name follow the station's shape — genres, keys, artists, tempo ranges — and
 * how many requests each listener's station gets in a run is up to the load generator).
 */
const VARIANTS = [
  { how: /^prepared radio_draw_/, as: 'prepared radio_draw_<shape>', text: "(the station's draw)" },
];
/**
 * Lines whose baseline is not a SQL one: the uploads' raw side streams the same bytes to the same
 * target and sends no statement (the app's per upload count against the app). Listed, not
 * compared.
 */
const NOT_SQL = [/^upload /];

const squash = (text) => text.replace(/\s+/g, ' ').trim();

/** `statement: …` (simple protocol), `execute <unnamed>: …`, `execute <name>: …` */
function parseStatement(message) {
  let m = /^statement: ([\s\S]*)$/.exec(message);
  if (m) return { how: 'simple', text: squash(m[1]) };
  m = /^execute (<unnamed>|[^:\s]+)(?: \([^)]*\))?: ([\s\S]*)$/.exec(message);
  if (m) return { how: m[1] === '<unnamed>' ? 'unnamed' : `prepared ${m[1]}`, text: squash(m[2]) };
  return null;
}

/** Which side a client (application name) belongs to, if any. */
const sideOf = (client) => Object.keys(POOLS).find((side) => POOLS[side][client] !== undefined);

/**
 * The log's lines between markers, per benchmark line and side: operations, and per distinct
 * (client, how, text) how many times it ran. Rounds of a line add up. While a run is open, a
 * statement of a side's own clients counts for that side's latest run — requests of the app's
 * run that were still being answered when its load ended (and the raw run began) stay the app's.
 */
export function segments(file) {
  const lines = new Map();
  let open = null;
  const latest = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    let e;
    try {
      e = JSON.parse(raw);
    } catch {
      continue;
    }
    const message = e.message ?? '';
    if (e.application_name === 'bench-mark') {
      const json = /SELECT '([\s\S]*)' AS bench_mark/.exec(message)?.[1];
      if (!json) continue;
      const mark = JSON.parse(json.replace(/''/g, "'"));
      const key = mark.line;
      if (!lines.has(key)) lines.set(key, { line: key, sides: {} });
      const entry = lines.get(key);
      entry.sides[mark.side] ??= { ops: 0, statements: new Map(), errors: new Map(), clients: {} };
      if (mark.at === 'start') {
        open = entry.sides[mark.side];
        // a new line: what the other side's server still sends is no longer the last line's
        for (const side of Object.keys(latest)) if (latest[side].line !== key) delete latest[side];
        latest[mark.side] = Object.assign(open, { line: key });
      } else {
        entry.sides[mark.side].ops += Number(mark.ops ?? 0);
        open = null;
      }
      continue;
    }
    if (!open) continue;
    const client = e.application_name || '(harness)';
    const target = latest[sideOf(client)] ?? open;
    if (e.error_severity === 'ERROR' || e.error_severity === 'FATAL') {
      const k = `${client}: ${e.state_code ?? ''} ${squash(message).slice(0, 120)}`;
      target.errors.set(k, (target.errors.get(k) ?? 0) + 1);
      continue;
    }
    const s = parseStatement(message);
    if (!s) continue;
    target.clients[client] = (target.clients[client] ?? 0) + 1;
    const k = `${client}\u0000${s.how}\u0000${s.text}`;
    target.statements.set(k, (target.statements.get(k) ?? 0) + 1);
  }
  return [...lines.values()];
}

/** Per line: the statements of the side's own server (bench-app, bench-raw) per operation, side by side. */
export function compareSides(entry) {
  const backgroundCounts = { app: 0, raw: 0 };
  const counts = (side) => {
    const out = new Map();
    for (const [k, n] of entry.sides[side]?.statements ?? []) {
      const [client, how, text] = k.split('\u0000');
      const pool = POOLS[side][client];
      if (pool === undefined) continue;
      if (background(`${pool}${how}`, text)) {
        backgroundCounts[side] += n;
        continue;
      }
      const variant = VARIANTS.find((v) => v.how.test(how));
      const key = variant ? `${pool}${variant.as}\u0000${variant.text}` : `${pool}${how}\u0000${text}`;
      out.set(key, (out.get(key) ?? 0) + n);
    }
    return out;
  };
  const [appCounts, rawCounts] = [counts('app'), counts('raw')];
  const perOp = (side, m) => {
    const ops = entry.sides[side]?.ops ?? 0;
    return new Map([...m].map(([k, n]) => [k, ops ? n / ops : 0]));
  };
  const app = perOp('app', appCounts);
  const raw = perOp('raw', rawCounts);
  const count = (side, k) => (side === 'app' ? appCounts : rawCounts).get(k) ?? 0;
  const keys = [...new Set([...app.keys(), ...raw.keys()])].sort(
    (a, b) => (app.get(b) ?? 0) + (raw.get(b) ?? 0) - (app.get(a) ?? 0) - (raw.get(a) ?? 0),
  );
  const rows = keys.map((k) => {
    const [how, text] = k.split('\u0000');
    const a = app.get(k) ?? 0;
    const r = raw.get(k) ?? 0;
    const presence = byPresence(entry.line, how);
    const [ca, cr] = [count('app', k), count('raw', k)];
    const agree = presence
      ? ca > 0 === cr > 0
      : Math.abs(a - r) <= Math.max(0.02, TOLERANCE * Math.max(a, r));
    return {
      how,
      text,
      app: +a.toFixed(3),
      raw: +r.toFixed(3),
      ...(presence ? { byPresence: true, calls: { app: ca, raw: cr } } : {}),
      agree,
    };
  });
  const harness = Object.fromEntries(
    ['app', 'raw'].map((side) => [
      side,
      Object.entries(entry.sides[side]?.clients ?? {})
        .filter(([c]) => POOLS[side][c] === undefined)
        .map(([c, n]) => `${c} ${n}`)
        .join(', '),
    ]),
  );
  const errors = Object.fromEntries(
    ['app', 'raw'].map((side) => [
      side,
      [...(entry.sides[side]?.errors ?? new Map())].map(([k, n]) => `${n}× ${k}`),
    ]),
  );
  return {
    line: entry.line,
    ops: { app: entry.sides.app?.ops ?? 0, raw: entry.sides.raw?.ops ?? 0 },
    same: rows.length > 0 && rows.every((r) => r.agree),
    notSql: NOT_SQL.some((re) => re.test(entry.line)),
    statements: rows,
    background: backgroundCounts,
    otherClients: harness,
    errors,
  };
}

/** Prints the comparison of every line and returns it. */
export function printStatements(file) {
  const out = segments(file).map(compareSides);
  console.log(
    '\n== statements per operation, app beside raw (BENCH_SQL_LOG run; how: simple query, unnamed, prepared <name>)',
  );
  for (const l of out) {
    console.log(
      `\n${l.notSql ? 'not a SQL baseline' : l.same ? 'same' : 'DIFFERS'}  ${l.line}  (operations: app ${l.ops.app}, raw ${l.ops.raw})`,
    );
    for (const s of l.statements) {
      console.log(
        `  ${s.agree ? ' ' : '≠'} ${String(s.app.toFixed(2)).padStart(6)} ${String(s.raw.toFixed(2)).padStart(6)}  ${s.how.padEnd(32)} ${s.byPresence ? `(by presence: ${s.calls.app} / ${s.calls.raw} calls) ` : ''}${s.text.length > 150 ? `${s.text.slice(0, 150)}…` : s.text}`,
      );
    }
    if (l.background.app || l.background.raw)
      console.log(
        `    pg-boss's own statements (not compared): app ${l.background.app}, raw ${l.background.raw}`,
      );
    for (const side of ['app', 'raw']) {
      if (l.otherClients[side])
        console.log(`    during the ${side} run, other clients: ${l.otherClients[side]}`);
      for (const e of l.errors[side]) console.log(`    ${side} error: ${e}`);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { SQL_LOG_FILE } = await import('./lib.mjs');
  const out = printStatements(process.argv[2] ?? SQL_LOG_FILE);
  process.exit(out.every((l) => l.same || l.notSql) ? 0 : 1);
}
