// Fingerprint lookup at catalogue sizes of 100 k and 1 M stored fingerprints: the service's own
// code (index candidates + exact comparison, dist/modules/audio) timed per lookup, p50/p99, and
// the 1 M / 100 k latency ratio. For contrast, the same question answered by scanning every
// fingerprint (the index switched off) at 100 k.
//
// Filler fingerprints are synthetic (random items, 120 s ≈ 960 items) and generated inside
// PostgreSQL; their index keys follow the same sampling rule as real ones (the SQL twin of
// `sampled` in fingerprint-matching.ts: the top 3 bits of item × 2654435761 mod 2^32 are zero,
// the product split in 16-bit halves so it fits a bigint). 200 "real" fingerprints are indexed by the app's
// code, and probes are noisy copies of them (≈3 % of bits flipped) or unrelated audio.
// Measured with the index resident in memory (pg_prewarm), as on a serving database.
//
// Keeping the index current: at each size, BENCH_FP_INSERTS (500) new fingerprints are stored one
// at a time into the indexed table — by the service (`store`: one INSERT … ON CONFLICT in a
// transaction, as the fingerprint job does) and by pg sending the same statements (BEGIN, the
// service's INSERT, COMMIT: the raw baseline), with the
// index as the migration creates it (GIN, fastupdate on: new keys go to the pending list, merged
// in bulk when it passes gin_pending_list_limit or at (auto)vacuum), and once more by pg with
// fastupdate off (every key inserted into the tree at once), for contrast.
import { createRequire } from 'node:module';
import pg from 'pg';
import { check, databaseServer, freshDatabase, measured, pct, report, ROOT, row } from '../lib.mjs';

const require = createRequire(import.meta.url);
const SIZES = (process.env.BENCH_FP_SIZES ?? '100000,1000000').split(',').map(Number);
const LOOKUPS = Number(process.env.BENCH_FP_LOOKUPS ?? 1000);
const INSERTS = Number(process.env.BENCH_FP_INSERTS ?? 500);
const ITEMS = 960; // 120 s, what the service stores

function randomFingerprint(n) {
  return Array.from({ length: n }, () => (Math.random() * 2 ** 32) | 0);
}

function noisy(fp, rate) {
  return fp.map((x) => {
    let y = x;
    for (let b = 0; b < 32; b++) if (Math.random() < rate) y ^= 1 << b;
    return y | 0;
  });
}

async function fill(db, from, to) {
  const batch = 50_000;
  for (let start = from; start < to; start += batch) {
    const end = Math.min(to, start + batch);
    await db.query(
      `INSERT INTO track_fingerprints (track_id, fingerprint, hashes, duration_ms, created_at)
       SELECT 'filler_' || g,
              fp.items,
              ARRAY(SELECT DISTINCT i FROM unnest(fp.items) i, LATERAL (SELECT i::bigint & 4294967295 AS u) uu
                    WHERE (((u * 31153) + (((u * 40503) & 65535) << 16)) & 4294967295) >> 29 = 0 ORDER BY i),
              120000, now()
       FROM generate_series($1::int, $2::int) g,
            LATERAL (SELECT array_agg(((random() * 4294967295)::bigint - 2147483648)::int) AS items
                     FROM generate_series(1, ${ITEMS}) WHERE g IS NOT NULL) fp`,
      [start, end - 1],
    );
    process.stdout.write(`\r  filled ${end.toLocaleString()} fingerprints`);
  }
  process.stdout.write('\n');
}

async function measure(service, probes, threshold) {
  const times = [];
  let found = 0;
  for (const { fp, expect } of probes) {
    const t0 = performance.now();
    const matches = await service.matches(fp, threshold);
    times.push(performance.now() - t0);
    if (expect ? matches.some((m) => m.trackId === expect) : matches.length === 0) found++;
  }
  return {
    p50: +pct(times, 50).toFixed(2),
    p99: +pct(times, 99).toFixed(2),
    accuracy: found / probes.length,
  };
}

/** One fingerprint at a time into the indexed table: ms per insert and inserts/s. */
async function timeInserts(n, insert) {
  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const fp = randomFingerprint(ITEMS);
    const t = performance.now();
    await insert(i, fp);
    times.push(performance.now() - t);
  }
  return {
    rps: Math.round(n / ((performance.now() - t0) / 1000)),
    p50: +pct(times, 50).toFixed(2),
    p99: +pct(times, 99).toFixed(2),
    max: +Math.max(...times).toFixed(2),
    total: n,
    failed: 0,
  };
}

async function inserts(db, database, service, size, indexKeys) {
  const tag = `${size}_${Date.now()}`;
  // the app's statement (FingerprintRepository.save) in a transaction of its own, as the service
  // runs it in the job's: BEGIN, the INSERT (unnamed), COMMIT
  const sql = `INSERT INTO track_fingerprints (track_id, fingerprint, hashes, duration_ms, created_at)
       VALUES ($1, $2::int4[], $3::int4[], $4, $5)
       ON CONFLICT (track_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, hashes = EXCLUDED.hashes,
         duration_ms = EXCLUDED.duration_ms, created_at = EXCLUDED.created_at`;
  const raw = (prefix) => async (i, fp) => {
    await db.query('BEGIN');
    try {
      await db.query(sql, [`${prefix}_${tag}_${i}`, fp, indexKeys(fp), 120_000, new Date()]);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK');
      throw err;
    }
  };
  const line = `fingerprint insert @${size / 1000}k (indexed)`;
  const app = await measured(line, 'app', () =>
    timeInserts(INSERTS, (i, fp) =>
      database.transaction((tx) => service.store(tx, `ins_app_${tag}_${i}`, fp, 120_000)),
    ),
  );
  const base = await measured(line, 'raw', () => timeInserts(INSERTS, raw('ins_raw')));
  await db.query('ALTER INDEX track_fingerprints_hashes_idx SET (fastupdate = off)');
  const off = await timeInserts(INSERTS, raw('ins_off'));
  await db.query('ALTER INDEX track_fingerprints_hashes_idx RESET (fastupdate)');
  const f = (r) => `p50 ${r.p50} / p99 ${r.p99} / max ${r.max} ms, ${r.rps}/s`;
  console.log(
    `  inserting ${INSERTS} fingerprints one at a time into the indexed table of ${size.toLocaleString()}:`,
  );
  console.log(`    service (its statement in a transaction), fastupdate on:  ${f(app)}`);
  console.log(`    pg, the same statements, fastupdate on (as migrated):     ${f(base)}`);
  console.log(`    pg, the same statements, fastupdate off:                  ${f(off)}`);
  return { app, raw: base, off };
}

export default async function fingerprints() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_fingerprints');
  // the application names tell the insert lines' sides apart in a BENCH_SQL_LOG run
  const db = new pg.Client({ connectionString: url, application_name: 'bench-raw' });
  await db.connect();
  const { Database } = require(`${ROOT}/dist/platform/database/database.js`);
  const { FingerprintRepository } = require(`${ROOT}/dist/modules/audio/fingerprint.repository.js`);
  const { FingerprintService } = require(`${ROOT}/dist/modules/audio/fingerprint.service.js`);
  const { Clock } = require(`${ROOT}/dist/platform/clock/clock.js`);
  const appUrl = new URL(url);
  appUrl.searchParams.set('application_name', 'bench-app');
  const database = new Database({ databaseUrl: appUrl.toString(), requestTimeoutMs: 30_000 });
  const service = new FingerprintService(new FingerprintRepository(database), new Clock());
  try {
    // fillers have no track rows: the lookup never reads tracks, and 1 M track rows would only
    // slow the setup down
    await db.query('ALTER TABLE track_fingerprints DROP CONSTRAINT track_fingerprints_track_id_fkey');

    const real = Array.from({ length: 200 }, (_, i) => ({ id: `real_${i}`, fp: randomFingerprint(ITEMS) }));
    await database.transaction(async (tx) => {
      for (const r of real) await service.store(tx, r.id, r.fp, 120_000);
    });
    const probes = [
      ...real.slice(0, LOOKUPS / 2).map((r) => ({ fp: noisy(r.fp, 0.03), expect: r.id })),
      ...Array.from({ length: LOOKUPS / 2 }, () => ({ fp: randomFingerprint(ITEMS), expect: null })),
    ];
    while (probes.length < LOOKUPS) probes.push(...probes.slice(0, LOOKUPS - probes.length));

    const rows = [];
    let filled = 0;
    const results = { inserts: {} };
    const { indexKeys } = require(`${ROOT}/dist/modules/audio/fingerprint-matching.js`);
    for (const size of SIZES) {
      console.log(`  catalogue of ${size.toLocaleString()}:`);
      await db.query('DROP INDEX IF EXISTS track_fingerprints_hashes_idx');
      await fill(db, filled, size);
      filled = size;
      const t0 = performance.now();
      await db.query("SET maintenance_work_mem = '512MB'");
      await db.query(
        'CREATE INDEX track_fingerprints_hashes_idx ON track_fingerprints USING GIN (hashes gin__int_ops)',
      );
      await db.query('VACUUM ANALYZE track_fingerprints');
      // steady state: a serving database keeps its hot index in memory (shared_buffers 2 GB on the
      // embedded bench server); without this the first lookups measure disk reads of a fresh build
      await db.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
      await db.query("SELECT pg_prewarm('track_fingerprints_hashes_idx'), pg_prewarm('track_fingerprints')");
      console.log(`  index built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await measure(service, probes.slice(0, 50), 0.95); // warm up
      results[size] = await measure(service, probes, 0.95);
      console.log(
        `  lookup ≥95 %: p50 ${results[size].p50} ms, p99 ${results[size].p99} ms, right answers ${(results[size].accuracy * 100).toFixed(1)} %`,
      );
      if (size === SIZES[0]) {
        // the same lookups with the index off: every fingerprint scanned
        await db.query('ALTER DATABASE beat_bench_fingerprints SET enable_bitmapscan = off');
        await db.query('ALTER DATABASE beat_bench_fingerprints SET enable_indexscan = off');
        const scanDatabase = new Database({ databaseUrl: url, requestTimeoutMs: 60_000 });
        const scanService = new FingerprintService(new FingerprintRepository(scanDatabase), new Clock());
        results.scan = await measure(scanService, probes.slice(0, 40), 0.95);
        await scanDatabase.onApplicationShutdown();
        await db.query('ALTER DATABASE beat_bench_fingerprints RESET ALL');
        console.log(`  without the index (scan): p50 ${results.scan.p50} ms, p99 ${results.scan.p99} ms`);
      }
      results.inserts[size] = await inserts(db, database, service, size, indexKeys);
    }
    const [small, large] = SIZES;
    for (const size of SIZES)
      check(
        results[size].accuracy >= 0.99,
        `lookups at ${size}: right answers ≥ 99 % (${(results[size].accuracy * 100).toFixed(1)} %)`,
      );
    if (results[large]) {
      console.log(
        `\n  ${large.toLocaleString()} vs ${small.toLocaleString()}: p50 ×${(results[large].p50 / results[small].p50).toFixed(2)}, p99 ×${(results[large].p99 / results[small].p99).toFixed(2)}`,
      );
    }
    rows.push(
      ...SIZES.map((s) => ({
        title: `fingerprint lookup @${s / 1000}k`,
        app: { rps: Math.round(1000 / results[s].p50), p50: results[s].p50, p99: results[s].p99, failed: 0 },
        baseline: {
          rps: Math.round(1000 / results.scan.p50),
          p50: results.scan.p50,
          p99: results.scan.p99,
          failed: 0,
        },
        ratio: +(results.scan.p50 / results[s].p50).toFixed(1),
      })),
    );
    rows.push(
      ...SIZES.map((s) =>
        row(`fingerprint insert @${s / 1000}k (indexed)`, results.inserts[s].app, results.inserts[s].raw, {
          fastupdateOff: results.inserts[s].off,
        }),
      ),
    );
    report(rows, 'fingerprints.json');
    console.log(
      '  (lookup lines: the "raw" columns are the index-less scan at the first size, app/raw = how many times faster the index is;\n' +
        "   insert lines: inserts/s one at a time, the service's store vs pg sending its statements, both maintaining the GIN index)",
    );
  } finally {
    await database.onApplicationShutdown();
    await db.end();
    await server.stop();
  }
}
