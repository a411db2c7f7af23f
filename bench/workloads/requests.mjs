// Hot rows of the beat-requests module, each against a spread-out control and a raw baseline
// (bench/requests-raw.mjs: the app's statements with pg in bare Fastify, the same access tokens),
// in the same run:
//
// - token debits (POST /beat-requests, 24 h, 1 token): every request by one user (one balance
//   row, every debit takes its lock) vs the same load spread over 64 users;
// - submissions: 50 producers × 5 tracks to one request (one request row, every submission takes
//   its lock) vs the same 250 submissions spread over 50 requests (5 per request) — twice: with
//   the submissions that arrive together sent in one call of submission_try (the app's default,
//   the raw baseline batching with the app's own CallCombiner), then with SUBMISSION_BATCHING=0
//   on both sides (one call per submission), both servers restarted for it.
//
// hot/spread says what the lock costs (goal ≥ 0.8); app/raw what the framework costs.
// Users sign in through the API; balances, tracks and fingerprints (random, indexed by the app's
// own key function) go straight into the database.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import {
  appEnv,
  BENCH_SECRET,
  check,
  compare,
  databaseServer,
  freshDatabase,
  json,
  pool,
  report,
  ROOT,
  startServer,
} from '../lib.mjs';

const require = createRequire(import.meta.url);
const DEBITS = Number(process.env.BENCH_REQUESTS_DEBITS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_REQUESTS_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_REQUESTS_SUBMISSION_ROUNDS ?? 4);
const SPREAD_USERS = 64;
const PRODUCERS = 50;
const PER_PRODUCER = Number(process.env.BENCH_REQUESTS_PER_PRODUCER ?? 5);
const BODY = {
  description: 'Dark trap beat with heavy 808s',
  reference_track_url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  duration_hours: 24,
};

/** `n` verified users signed in through the API (the password hash is copied, the login is real). */
async function signedInUsers(app, db, prefix, n) {
  const password = 'bench-password';
  const first = `${prefix}-0@bench.local`;
  await json(
    await fetch(`${app.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: first, password, display_name: prefix }),
    }),
  );
  await db.query(
    `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at, email_verified_at)
     SELECT 'usr_' || $1 || lpad(g::text, 22, '0'), $1 || '-' || g || '@bench.local', u.password_hash, $1, now(), now(), now()
     FROM users u, generate_series(1, $2::int - 1) g WHERE u.email = $3`,
    [prefix, n, first],
  );
  await db.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [first]);
  const users = [];
  for (let i = 0; i < n; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, n - i) }, async (_, k) => {
        const email = `${prefix}-${i + k}@bench.local`;
        const login = await json(
          await fetch(`${app.base}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, password }),
          }),
        );
        const { id } = (await db.query('SELECT id FROM users WHERE email = $1', [email])).rows[0];
        return {
          id,
          headers: { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' },
        };
      }),
    );
    users.push(...batch);
  }
  return users;
}

/** A balance nobody can spend in one run, granted through the ledger so the books still add up. */
async function fund(db, userIds) {
  const period = new Date().toISOString().slice(0, 7);
  await db.query(
    `INSERT INTO token_balances (user_id, period, balance, allowance, updated_at)
     SELECT u, $2, 1000000, 1000000, now() FROM unnest($1::text[]) u`,
    [userIds, period],
  );
  await db.query(
    `INSERT INTO token_ledger (id, user_id, period, kind, amount, note, created_at)
     SELECT 'tle_' || md5(u), u, $2, 'grant', 1000000, 'benchmark', now() FROM unnest($1::text[]) u`,
    [userIds, period],
  );
}

const post = async (url, headers, body) => {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};

export default async function requests() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_requests');
  const env = appEnv(url, join(ROOT, '.data', 'bench-requests'));
  /** The app and the raw baseline, both batching submissions or neither. */
  const servers = async (batching) => {
    const flag = { SUBMISSION_BATCHING: batching ? '1' : '0' };
    return {
      app: await startServer('app', `${ROOT}/dist/main.js`, { ...env, ...flag }, '/api/v1/health'),
      raw: await startServer(
        'raw',
        `${ROOT}/bench/requests-raw.mjs`,
        { DATABASE_URL: url, JWT_SECRET: BENCH_SECRET, ...flag },
        '/health',
      ),
    };
  };
  let { app, raw } = await servers(true);
  const db = new pg.Pool({ connectionString: url, max: 8 });
  const { indexKeys } = require(`${ROOT}/dist/modules/audio/fingerprint-matching.js`);
  try {
    const requesters = await signedInUsers(app, db, 'requester', SPREAD_USERS);
    const producers = await signedInUsers(app, db, 'producer', PRODUCERS);
    const owner = (await signedInUsers(app, db, 'owner', 1))[0];
    await fund(
      db,
      requesters.map((u) => u.id),
    );

    // ---- token debits ---------------------------------------------------------------------------
    const hot = requesters[0];
    let spreadNext = 0;
    const spreadUser = () => requesters[1 + (spreadNext++ % (SPREAD_USERS - 1))];
    const appDebit = (who) => () =>
      pool(DEBITS, CONCURRENCY, () => post(`${app.base}/api/v1/beat-requests`, who().headers, BODY));
    const rawDebit = (who) => () =>
      pool(DEBITS, CONCURRENCY, () => post(`${raw.base}/beat-requests`, who().headers, BODY));
    const rows = [
      await compare(
        'debits: one user (hot row)',
        appDebit(() => hot),
        rawDebit(() => hot),
      ),
      await compare('debits: spread over 63 users', appDebit(spreadUser), rawDebit(spreadUser)),
    ];
    const books = await db.query(
      `SELECT count(*)::int AS bad FROM token_balances b
       WHERE b.balance <> (SELECT COALESCE(SUM(amount), 0) FROM token_ledger l WHERE l.user_id = b.user_id)`,
    );

    // ---- submissions ----------------------------------------------------------------------------
    await db.query(
      `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('bench', 1, 'wav', now())`,
    );
    const tracks = []; // [producer][k] = track id
    for (const [p, producer] of producers.entries()) {
      tracks.push([]);
      for (let k = 0; k < PER_PRODUCER; k++) {
        const id = `trk_bench${String(p * PER_PRODUCER + k).padStart(21, '0')}`;
        const fingerprint = Array.from({ length: 960 }, () => (Math.random() * 2 ** 32) | 0);
        await db.query(
          `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, audio_sha256, processing_status, created_at, updated_at)
           VALUES ($1, $2, 'Beat', 90, 'trap', '{}', 'upload', 'bench', 'ready', now(), now())`,
          [id, producer.id],
        );
        await db.query(
          `INSERT INTO track_fingerprints (track_id, fingerprint, hashes, duration_ms, created_at) VALUES ($1, $2, $3, 120000, now())`,
          [id, fingerprint, indexKeys(fingerprint)],
        );
        tracks[p].push(id);
      }
    }
    let requestSeq = 0;
    const newRequests = async (n) => {
      const ids = Array.from({ length: n }, () => `req_bench${String(++requestSeq).padStart(21, '0')}`);
      await db.query(
        `INSERT INTO beat_requests (id, owner_id, description, reference_track_url, genres, duration_hours, token_cost, expires_at, created_at, updated_at)
         SELECT r, $2, 'Benchmark request', 'https://youtu.be/x', '{}', 72, 3, now() + interval '72 hours', now(), now()
         FROM unnest($1::text[]) r`,
        [ids, owner.id],
      );
      return ids;
    };
    /** Every producer's five tracks, to one request (hot) or one per request over 50 (spread). */
    const plan = async (hotRow) => {
      const jobs = [];
      const targets = hotRow ? await newRequests(1) : await newRequests(PRODUCERS);
      for (let k = 0; k < PER_PRODUCER; k++)
        for (let p = 0; p < PRODUCERS; p++)
          jobs.push({
            producer: producers[p],
            track: tracks[p][k],
            request: hotRow ? targets[0] : targets[(p + k) % PRODUCERS],
          });
      return jobs;
    };
    const submissions = (hotRow, submit) => async () => {
      const jobs = [];
      for (let r = 0; r < ROUNDS; r++) jobs.push(...(await plan(hotRow)));
      let next = 0;
      return pool(jobs.length, PRODUCERS, () => submit(jobs[next++]));
    };
    const submitTo = (base) => (j) =>
      post(`${base}/beat-requests/${j.request}/submissions`, j.producer.headers, { track_id: j.track });
    for (const batching of [true, false]) {
      if (!batching) {
        await Promise.all([app.stop(), raw.stop()]);
        ({ app, raw } = await servers(false));
      }
      const mode = batching ? 'batched' : 'unbatched';
      const appSubmit = submitTo(`${app.base}/api/v1`);
      const rawSubmit = submitTo(raw.base);
      rows.push(
        await compare(
          `submissions: 50 producers → 1 request, ${mode}`,
          submissions(true, appSubmit),
          submissions(true, rawSubmit),
        ),
        await compare(
          `submissions: spread over 50 requests, ${mode}`,
          submissions(false, appSubmit),
          submissions(false, rawSubmit),
        ),
      );
    }
    report(rows, 'requests.json');
    console.log('  (req/s columns are debits/s and submissions/s; p50/p99 in ms)');
    const ratio = (a, b) => (a / b).toFixed(2);
    console.log(
      `  hot/spread — debits: app ${ratio(rows[0].app.rps, rows[1].app.rps)}, raw ${ratio(rows[0].baseline.rps, rows[1].baseline.rps)}; ` +
        `submissions batched: app ${ratio(rows[2].app.rps, rows[3].app.rps)}, raw ${ratio(rows[2].baseline.rps, rows[3].baseline.rps)}; ` +
        `unbatched: app ${ratio(rows[4].app.rps, rows[5].app.rps)}, raw ${ratio(rows[4].baseline.rps, rows[5].baseline.rps)}`,
    );
    const { n } = (await db.query('SELECT count(*)::int AS n FROM submissions')).rows[0];
    check(books.rows[0].bad === 0, `balances equal their ledger's sum (${books.rows[0].bad} differ)`);
    const after = await db.query(
      `SELECT count(*)::int AS bad FROM token_balances b
       WHERE b.balance <> (SELECT COALESCE(SUM(amount), 0) FROM token_ledger l WHERE l.user_id = b.user_id)`,
    );
    check(after.rows[0].bad === 0, `after the submissions too (${after.rows[0].bad} differ)`);
    console.log(`  submissions stored: ${n}`);
  } finally {
    await db.end();
    await app.stop();
    await raw.stop();
    await server.stop();
  }
}
