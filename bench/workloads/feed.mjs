// GET /feed for a user following 5,000 accounts, on a platform of 10 k and then 1 M follow edges
// (BENCH_FEED_EDGES, comma-separated), with tracks and reposts in proportion (one track and one
// repost per 10 edges, users = edges / 50, at least 6,000). Each size is seeded in SQL
// (generate_series, in batches that report progress), then the app and the raw baseline
// (bench/feed-raw.mjs: the app's own statements in bare Fastify + pg) answer the same reader, with
// the same access token, in alternation. Goals: p99 at the largest size ≤ 1.5× p99 at the smallest; app ≥ 0.6× raw.
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
  load,
  report,
  ROOT,
  startServer,
} from '../lib.mjs';

const SIZES = (process.env.BENCH_FEED_EDGES ?? '10000,1000000').split(',').map(Number);
const FOLLOWING = Number(process.env.BENCH_FEED_FOLLOWING ?? 5000);
const BATCH = 100_000;

const log = (s) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${s}`);

/** Runs `statement` for [from, to) windows of `total` rows, reporting progress. */
async function inBatches(db, label, total, statement) {
  const t0 = Date.now();
  for (let from = 0; from < total; from += BATCH) {
    const to = Math.min(total, from + BATCH);
    await db.query(statement, [from, to]);
    log(
      `${label}: ${to.toLocaleString('en')}/${total.toLocaleString('en')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}

async function seed(app, db, edges) {
  const users = Math.max(FOLLOWING + 1000, Math.round(edges / 50));
  const items = Math.round(edges / 10);
  const password = 'bench-password';
  const email = `reader-${edges}@bench.local`;
  await json(
    await fetch(`${app.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, display_name: 'Reader' }),
    }),
  );
  await db.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [email]);
  const reader = (await db.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id;

  log(
    `seeding ${edges.toLocaleString('en')} edges: ${users.toLocaleString('en')} users, ${items.toLocaleString('en')} tracks and reposts`,
  );
  await inBatches(
    db,
    'users',
    users,
    `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at, email_verified_at)
     SELECT 'usr_' || lpad(g::text, 26, '0'), 'u' || g || '@bench.local', 'x', 'User ' || g, now(), now(), now()
     FROM generate_series($1::int, $2::int - 1) g`,
  );
  // the reader follows FOLLOWING accounts, one in every users/FOLLOWING
  await db.query(
    `INSERT INTO follows (follower_id, followee_id, created_at)
     SELECT $1, 'usr_' || lpad((g * ($2::int / $3::int))::text, 26, '0'), now() - g * interval '1 second'
     FROM generate_series(0, $3::int - 1) g`,
    [reader, users, FOLLOWING],
  );
  // the rest of the edges at random between the other users (a duplicate is skipped)
  await inBatches(
    db,
    'follows',
    edges - FOLLOWING,
    `INSERT INTO follows (follower_id, followee_id, created_at)
     SELECT 'usr_' || lpad(a::text, 26, '0'), 'usr_' || lpad(b::text, 26, '0'), now() - random() * interval '365 days'
     FROM (SELECT floor(random() * ${users})::int AS a, floor(random() * ${users})::int AS b
           FROM generate_series($1::int, $2::int - 1)) r
     WHERE a <> b
     ON CONFLICT DO NOTHING`,
  );
  await inBatches(
    db,
    'tracks',
    items,
    `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, external_url, created_at, updated_at)
     SELECT 'trk_' || lpad(g::text, 26, '0'), 'usr_' || lpad(floor(random() * ${users})::text, 26, '0'),
            'Track ' || g, 90 + g % 60, 'trap', '{}', 'external', 'https://soundcloud.com/b/' || g, t, t
     FROM (SELECT g, now() - random() * interval '90 days' AS t FROM generate_series($1::int, $2::int - 1) g) s`,
  );
  await inBatches(
    db,
    'reposts',
    items,
    `INSERT INTO reposts (user_id, track_id, created_at)
     SELECT u, tr.id, tr.created_at + random() * (now() - tr.created_at)
     FROM (SELECT 'usr_' || lpad(floor(random() * ${users})::text, 26, '0') AS u,
                  'trk_' || lpad(floor(random() * ${items})::text, 26, '0') AS t
           FROM generate_series($1::int, $2::int - 1)) r
     JOIN tracks tr ON tr.id = r.t
     WHERE tr.owner_id <> r.u
     ON CONFLICT DO NOTHING`,
  );
  await db.query(`DELETE FROM follow_counts`);
  await db.query(
    `INSERT INTO follow_counts (user_id, followers, following)
     SELECT id, (SELECT count(*) FROM follows WHERE followee_id = id), (SELECT count(*) FROM follows WHERE follower_id = id)
     FROM users`,
  );
  await db.query('VACUUM ANALYZE');
  const counts = (
    await db.query(
      `SELECT (SELECT count(*) FROM follows)::int AS follows, (SELECT count(*) FROM tracks)::int AS tracks,
              (SELECT count(*) FROM reposts)::int AS reposts`,
    )
  ).rows[0];
  log(`seeded: ${JSON.stringify(counts)}`);

  const login = await json(
    await fetch(`${app.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    }),
  );
  return { reader, headers: { authorization: `Bearer ${login.access_token}` }, counts };
}

export default async function feed() {
  const server = await databaseServer();
  const rows = [];
  try {
    for (const edges of SIZES) {
      const url = await freshDatabase(server.url, `beat_bench_feed_${edges}`);
      const env = appEnv(url, join(ROOT, '.data', 'bench-feed'));
      const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
      const raw = await startServer(
        'raw',
        `${ROOT}/bench/feed-raw.mjs`,
        { DATABASE_URL: url, JWT_SECRET: BENCH_SECRET },
        '/health',
      );
      const db = new pg.Pool({ connectionString: url, max: 4 });
      try {
        const { headers } = await seed(app, db, edges);
        const page = await json(await fetch(`${app.base}/api/v1/feed`, { headers }));
        log(`first page: ${page.data.length} entries, next_cursor ${page.next_cursor ? 'set' : 'null'}`);
        check(page.data.length > 0, `the reader's first page has entries (${page.data.length})`);
        // warm both servers (JIT, plan caches, the database's buffers) before measuring
        await load(`${app.base}/api/v1/feed`, { headers, duration: 3 });
        await load(`${raw.base}/feed`, { headers, duration: 3 });
        rows.push(
          await compare(
            `GET /feed, ${edges.toLocaleString('en')} edges`,
            () => load(`${app.base}/api/v1/feed`, { headers }),
            () => load(`${raw.base}/feed`, { headers }),
          ),
        );
      } finally {
        await db.end();
        await app.stop();
        await raw.stop();
      }
    }
    report(rows, 'feed.json');
    if (rows.length > 1) {
      const first = rows[0];
      const last = rows[rows.length - 1];
      console.log(
        `\np99 at ${SIZES[SIZES.length - 1].toLocaleString('en')} edges / p99 at ${SIZES[0].toLocaleString('en')}: ` +
          `app ${(last.app.p99 / first.app.p99).toFixed(2)}, raw ${(last.baseline.p99 / first.baseline.p99).toFixed(2)} (goal ≤ 1.5)`,
      );
    }
  } finally {
    await server.stop();
  }
}
