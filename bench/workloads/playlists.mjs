// Playlists, against a raw baseline (bench/playlists-raw.mjs: the app's statements with pg in bare
// Fastify, the same access token), in the same run:
//
// - read a 500-track playlist (GET /playlists/:id: the playlist, its editors and every entry with
//   its track's summary) — goal app ≥ 0.6× raw;
// - add a track (one transaction: the playlist row locked, its state read with the track's
//   summary, the insert with the version bump), spread over 20 playlists;
// - move a track (POST /playlists/:id/tracks/move: neighbours' keys read, then one statement that
//   rewrites one row) in 500-track playlists and in 10-track playlists — goal p99 at 500 ≤ 2× p99
//   at 10. Each of the 16 workers moves within its own playlist, so the figures are the
//   statement's cost, not version conflicts between workers.
//
// The owner signs in through the API; tracks and playlists go straight into the database.
import { generateNKeysBetween } from 'fractional-indexing';
import { join } from 'node:path';
import pg from 'pg';
import {
  appEnv,
  BENCH_SECRET,
  check,
  compare,
  CONNECTIONS,
  databaseServer,
  freshDatabase,
  json,
  load,
  pct,
  pool,
  report,
  ROOT,
  startServer,
} from '../lib.mjs';

const TRACKS = 1000;
const ADDS = Number(process.env.BENCH_PLAYLISTS_ADDS ?? 2000);
const MOVES = Number(process.env.BENCH_PLAYLISTS_MOVES ?? 3000);
const ADD_PLAYLISTS = 20;

const send = async (url, method, headers, body, expected) => {
  const res = await fetch(url, { method, headers, body: JSON.stringify(body) });
  if (res.status !== expected) throw new Error(`${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};

/** `n` tasks over `workers` workers, worker w always passing w: ops/s and latency (ms). */
async function perWorker(n, workers, task) {
  let next = 0;
  let failed = 0;
  const times = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next++ < n) {
        const t = performance.now();
        try {
          await task(w);
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

export default async function playlists() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_playlists');
  const env = appEnv(url, join(ROOT, '.data', 'bench-playlists'), { LIMIT_PLAYLISTS: '100000' });
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await startServer(
    'raw',
    `${ROOT}/bench/playlists-raw.mjs`,
    { DATABASE_URL: url, JWT_SECRET: BENCH_SECRET },
    '/health',
  );
  const db = new pg.Pool({ connectionString: url, max: 8 });
  try {
    const email = `owner-${Date.now()}@bench.local`;
    const password = 'bench-password';
    await json(
      await fetch(`${app.base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, display_name: 'Owner' }),
      }),
    );
    await db.query('UPDATE users SET email_verified_at = now() WHERE email = $1', [email]);
    const login = await json(
      await fetch(`${app.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      }),
    );
    const owner = (await db.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id;
    const auth = { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' };

    await db.query(
      `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('bench', 1, 'wav', now())`,
    );
    const tracks = Array.from({ length: TRACKS }, (_, i) => `trk_bench${String(i).padStart(21, '0')}`);
    await db.query(
      `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, audio_sha256, format, duration_ms,
                           processing_status, created_at, updated_at)
       SELECT t, $2, 'Beat ' || t, 90, 'trap', '{}', 'upload', 'bench', 'wav', 180000, 'ready', now(), now()
       FROM unnest($1::text[]) t`,
      [tracks, owner],
    );
    let seq = 0;
    /** `count` playlists of the owner holding the first `size` tracks. */
    const playlistsOf = async (count, size) => {
      const ids = Array.from({ length: count }, () => `pl_bench${String(++seq).padStart(21, '0')}`);
      await db.query(
        `INSERT INTO playlists (id, owner_id, name, visibility, version, created_at, updated_at)
         SELECT p, $2, 'Bench', 'public', 1, now(), now() FROM unnest($1::text[]) p`,
        [ids, owner],
      );
      if (size > 0) {
        await db.query(
          `INSERT INTO playlist_tracks (playlist_id, track_id, position, added_by, added_at)
           SELECT p, t.id, t.key, $4, now() FROM unnest($1::text[]) p,
                  unnest($2::text[], $3::text[]) AS t(id, key)`,
          [ids, tracks.slice(0, size), generateNKeysBetween(null, null, size), owner],
        );
      }
      return ids;
    };

    // ---- read a 500-track playlist ------------------------------------------------------------
    const [big] = await playlistsOf(1, 500);
    const rows = [
      await compare(
        'read a 500-track playlist',
        () => load(`${app.base}/api/v1/playlists/${big}`, { headers: auth }),
        () => load(`${raw.base}/playlists/${big}`, { headers: auth }),
      ),
    ];

    // ---- add a track ----------------------------------------------------------------------------
    const adds = (submit) => async () => {
      const targets = await playlistsOf(ADD_PLAYLISTS, 0);
      let k = 0;
      return pool(ADDS, CONNECTIONS, () => {
        const i = k++;
        return submit(targets[i % ADD_PLAYLISTS], tracks[Math.floor(i / ADD_PLAYLISTS) % TRACKS]);
      });
    };
    rows.push(
      await compare(
        'add a track (20 playlists)',
        adds((pl, track) =>
          send(`${app.base}/api/v1/playlists/${pl}/tracks`, 'POST', auth, { track_id: track }, 201),
        ),
        adds((pl, track) =>
          send(`${raw.base}/playlists/${pl}/tracks`, 'POST', auth, { track_id: track }, 201),
        ),
      ),
    );

    // ---- move a track ---------------------------------------------------------------------------
    const moves = (size, submit) => async () => {
      const targets = await playlistsOf(CONNECTIONS, size);
      const pick = () => tracks[Math.floor(Math.random() * size)];
      return perWorker(MOVES, CONNECTIONS, (w) => {
        const track = pick();
        let before = pick();
        if (before === track) before = null;
        return submit(targets[w], track, before);
      });
    };
    const appMove = (pl, track, before) =>
      send(
        `${app.base}/api/v1/playlists/${pl}/tracks/move`,
        'POST',
        auth,
        { track_id: track, before_track_id: before },
        200,
      );
    const rawMove = (pl, track, before) =>
      send(
        `${raw.base}/playlists/${pl}/tracks/move`,
        'POST',
        auth,
        { track_id: track, before_track_id: before },
        200,
      );
    rows.push(
      await compare('move a track, 10-track playlists', moves(10, appMove), moves(10, rawMove)),
      await compare('move a track, 500-track playlists', moves(500, appMove), moves(500, rawMove)),
    );
    report(rows, 'playlists.json');
    const [, , m10, m500] = rows;
    console.log(
      `  move p99 at 500 / at 10 tracks — app ${(m500.app.p99 / m10.app.p99).toFixed(2)}, raw ${(m500.baseline.p99 / m10.baseline.p99).toFixed(2)} (goal ≤ 2)`,
    );
    const bad = await db.query(
      `SELECT count(*)::int AS n FROM (
         SELECT playlist_id FROM playlist_tracks GROUP BY playlist_id HAVING count(DISTINCT position) <> count(*)) d`,
    );
    const keys = await db.query('SELECT max(length(position))::int AS n FROM playlist_tracks');
    check(bad.rows[0].n === 0, `no playlist holds a repeated position (${bad.rows[0].n} do)`);
    check(keys.rows[0].n <= 40, `position keys stay within 40 characters (longest ${keys.rows[0].n})`);
  } finally {
    await db.end();
    await app.stop();
    await raw.stop();
    await server.stop();
  }
}
