// Radio: next-track selection as the catalogue grows. For each catalogue size (BENCH_RADIO_SIZES,
// default 10 k and 1 M tracks, generated with generate_series straight into the database) every
// listener has a live session on a station (genre, artist and track seeds in turn) and calls
// `POST /radio/sessions/:id/next` in a loop: the app against a raw baseline (bench/radio-raw.mjs:
// bare Fastify + pg running the same statements), in the same run. Also the draw statement alone
// (pg, no HTTP), to show the index walk does not grow with the catalogue. Each size has its own
// database and servers; the rounds alternate between the sizes so the machine's load falls on
// both alike (BENCH_ROUNDS, medians kept).
//
// Goals: p99 at 1 M ≤ 2 × p99 at 10 k; app ≥ 0.6 × raw.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import {
  appEnv,
  BENCH_SECRET,
  check,
  CONNECTIONS,
  databaseServer,
  freshDatabase,
  json,
  load,
  measured,
  medians,
  pct,
  report,
  ROOT,
  ROUNDS,
  row,
  startServer,
} from '../lib.mjs';

const require = createRequire(import.meta.url);
const SIZES = (process.env.BENCH_RADIO_SIZES ?? '10000,1000000').split(',').map(Number);
const BATCH = 50_000;
const ARTISTS = 1000;
const DRAWS = Number(process.env.BENCH_RADIO_DRAWS ?? 2000);
const GENRES = [
  'trap',
  'drill',
  'hip-hop',
  'rap',
  'boom bap',
  'lo-fi',
  'house',
  'deep house',
  'techno',
  'edm',
  'drum and bass',
  'dubstep',
  'pop',
  'dance',
  'r&b',
  'soul',
  'afrobeats',
  'reggaeton',
  'jazz',
  'ambient',
];
const NOTES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];
const KEYS = [...NOTES, ...NOTES.map((n) => `${n}m`)];

const sqlArray = (xs) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(', ')}]`;

/** Owners and their artist profiles (1000), shared by every catalogue size. */
async function seedArtists(db) {
  await db.query(
    `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
     SELECT 'usr_bown' || lpad(g::text, 18, '0'), 'owner-' || g || '@bench.local', 'x', 'Owner ' || g, now(), now()
     FROM generate_series(0, $1::int - 1) g`,
    [ARTISTS],
  );
  await db.query(
    `INSERT INTO artists (id, user_id, name, slug, created_at, updated_at)
     SELECT 'art_bench' || lpad(g::text, 17, '0'), 'usr_bown' || lpad(g::text, 18, '0'), 'Artist ' || g,
            'artist-' || g, now(), now()
     FROM generate_series(0, $1::int - 1) g`,
    [ARTISTS],
  );
  await db.query(
    `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('bench', 1, 'wav', now())`,
  );
}

/** Grows the catalogue to `size` tracks (5 % of them still processing: never played). */
async function growCatalogue(db, from, size) {
  const t0 = Date.now();
  for (let lo = from; lo < size; lo += BATCH) {
    const hi = Math.min(size, lo + BATCH) - 1;
    await db.query(
      `INSERT INTO tracks (id, owner_id, artist_id, title, bpm, genre, musical_key, tags, source, audio_sha256,
                           processing_status, duration_ms, created_at, updated_at)
       SELECT 'trk_b' || lpad(g::text, 21, '0'), 'usr_bown' || lpad((g % ${ARTISTS})::text, 18, '0'),
              'art_bench' || lpad((g % ${ARTISTS})::text, 17, '0'), 'Track ' || g,
              60 + abs(hashint4(g)) % 121,
              (${sqlArray(GENRES)})[1 + abs(hashint4(g + 1)) % ${GENRES.length}],
              (${sqlArray(KEYS)})[1 + abs(hashint4(g + 2)) % ${KEYS.length + 1}],
              '{}', 'upload', 'bench',
              (CASE WHEN g % 20 = 0 THEN 'processing' ELSE 'ready' END)::processing_status, 180000,
              now() - make_interval(secs => g), now() - make_interval(secs => g)
       FROM generate_series($1::int, $2::int) g`,
      [lo, hi],
    );
    process.stdout.write(
      `\r  catalogue: ${hi + 1} / ${size} tracks (${Math.round((Date.now() - t0) / 1000)} s)`,
    );
  }
  await db.query('ANALYZE tracks');
  console.log(`\r  catalogue: ${size} tracks in ${Math.round((Date.now() - t0) / 1000)} s, analyzed`);
}

/** `n` listeners signed in through the API (the first registers; the others copy its password hash). */
async function listeners(app, db, n) {
  const password = 'bench-password';
  await json(
    await fetch(`${app.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'listener-0@bench.local', password, display_name: 'Listener' }),
    }),
  );
  await db.query(
    `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at, email_verified_at)
     SELECT 'usr_blis' || lpad(g::text, 18, '0'), 'listener-' || g || '@bench.local', u.password_hash, 'Listener',
            now(), now(), now()
     FROM users u, generate_series(1, $1::int - 1) g WHERE u.email = 'listener-0@bench.local'`,
    [n],
  );
  await db.query(`UPDATE users SET email_verified_at = now() WHERE email = 'listener-0@bench.local'`);
  const out = [];
  for (let i = 0; i < n; i++) {
    const login = await json(
      await fetch(`${app.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `listener-${i}@bench.local`, password }),
      }),
    );
    out.push({
      headers: { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' },
    });
  }
  return out;
}

/** A station for listener `i`: genre, artist and track seeds in turn. */
function stationFor(i, size) {
  if (i % 3 === 0) return `genre:${GENRES[i % GENRES.length]}`;
  if (i % 3 === 1) return `artist:art_bench${String((i * 37) % ARTISTS).padStart(17, '0')}`;
  let g = (i * 7919) % size;
  if (g % 20 === 0) g++;
  return `track:trk_b${String(g).padStart(21, '0')}`;
}

/** Every autocannon connection keeps one listener (and its session) for the whole run. */
function nextRequests(users, prefix) {
  let n = 0;
  return [
    {
      method: 'POST',
      setupRequest: (req, context) => {
        context.user ??= users[n++ % users.length];
        return {
          ...req,
          path: `${prefix}/radio/sessions/${context.user.session}/next`,
          // a copy: autocannon writes the body's content-length into the headers it is given
          headers: { ...context.user.headers },
          body: '{}',
        };
      },
    },
  ];
}

/** One catalogue size: its own database, app and raw servers, listeners with live sessions. */
async function prepare(serverUrl, size, drawStatement) {
  const url = await freshDatabase(serverUrl, `beat_bench_radio_${size}`);
  const env = appEnv(url, join(ROOT, '.data', `bench-radio-${size}`));
  const servers = () =>
    Promise.all([
      startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health'),
      startServer(
        'raw',
        `${ROOT}/bench/radio-raw.mjs`,
        { DATABASE_URL: url, JWT_SECRET: BENCH_SECRET },
        '/health',
      ),
    ]);
  const db = new pg.Pool({ connectionString: url, max: 8 });
  await seedArtists(db);
  let [app, raw] = await servers();
  const users = await listeners(app, db, CONNECTIONS);
  // the servers start again once the catalogue is there (it takes minutes to generate)
  await Promise.all([app.stop(), raw.stop()]);
  await growCatalogue(db, 0, size);
  [app, raw] = await servers();
  const rules = [];
  for (const [i, u] of users.entries()) {
    const body = await json(
      await fetch(`${app.base}/api/v1/radio/sessions`, {
        method: 'POST',
        headers: u.headers,
        body: JSON.stringify({ station_id: stationFor(i, size), device_id: 'bench' }),
      }),
    );
    u.session = body.session_id;
    rules.push((await db.query('SELECT rule FROM radio_sessions WHERE id = $1', [u.session])).rows[0].rule);
  }
  const drawAlone = async () => {
    const times = [];
    for (let k = 0; k < DRAWS; k++) {
      const q = drawStatement(
        rules[k % rules.length],
        'usr_bench_listener',
        Math.floor(Math.random() * 2 ** 32) - 2 ** 31,
        [],
      );
      const t = performance.now();
      await db.query(q);
      times.push(performance.now() - t);
    }
    return { p50: +pct(times, 50).toFixed(2), p99: +pct(times, 99).toFixed(2) };
  };
  return { size, db, app, raw, users, drawAlone };
}

export default async function radio() {
  const server = await databaseServer();
  const { drawStatement } = require(`${ROOT}/dist/modules/radio/radio.repository.js`);
  const sizes = [];
  try {
    for (const size of SIZES) sizes.push(await prepare(server.url, size, drawStatement));
    // rounds alternate between the sizes (and app / raw), so the machine's load falls on all alike
    const runs = sizes.map(() => ({ app: [], raw: [], draw: [] }));
    const title = (s) => `next track, ${s.size >= 1e6 ? `${s.size / 1e6} M` : `${s.size / 1e3} k`} tracks`;
    for (let r = 0; r < ROUNDS; r++)
      for (const [k, s] of sizes.entries()) {
        runs[k].draw.push(await s.drawAlone());
        runs[k].app.push(
          await measured(title(s), 'app', () =>
            load(s.app.base, { requests: nextRequests(s.users, '/api/v1') }),
          ),
        );
        runs[k].raw.push(
          await measured(title(s), 'raw', () => load(s.raw.base, { requests: nextRequests(s.users, '') })),
        );
      }
    const rows = sizes.map((s, k) => row(title(s), medians(runs[k].app), medians(runs[k].raw)));
    report(rows, 'radio.json');
    for (const [k, s] of sizes.entries()) {
      const d = medians(runs[k].draw);
      console.log(`  draw statement alone (pg), ${s.size} tracks: p50 ${d.p50} ms, p99 ${d.p99} ms`);
    }
    if (rows.length > 1) {
      const first = rows[0];
      const last = rows[rows.length - 1];
      console.log(
        `  p99 ${SIZES[SIZES.length - 1]} / ${SIZES[0]}: app ${(last.app.p99 / first.app.p99).toFixed(2)}, raw ${(last.baseline.p99 / first.baseline.p99).toFixed(2)} (goal ≤ 2)`,
      );
    }
    for (const s of sizes) {
      // one statement, one snapshot (requests cut off at the end of a run may still be committing)
      const { plays, counted } = (
        await s.db.query(
          `SELECT (SELECT count(*) FROM listens)::int AS plays,
                  (SELECT COALESCE(sum(plays), 0) FROM track_play_counts)::int AS counted`,
        )
      ).rows[0];
      // a play counts only once heard 30 s (the listening rule): never more counts than listens
      check(counted <= plays, `${s.size} tracks: no more play counts than listens (${counted} / ${plays})`);
    }
  } finally {
    for (const s of sizes) {
      await s.db.end();
      await s.app.stop();
      await s.raw.stop();
    }
    await server.stop();
  }
}
