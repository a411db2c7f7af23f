// The catalogue reads, against a raw baseline (bench/tracks-raw.mjs: the app's own statements
// from dist/modules/tracks/track-view.sql.js with pg in bare Fastify), in the same run:
//
// - GET /tracks/:id — one track with its artist, file size, credits and repost count, over a
//   catalogue of BENCH_TRACKS (10 k) tracks, a different track on each request;
// - GET /tracks?genre=<g> — the first page (20) of one genre's public tracks, newest first, the
//   genre changing with each request (8 genres; a tenth of the uploads still processing, so the
//   filter on visibility has rows to skip).
//
// Both anonymous (public routes: no token, the anonymous rate-limit budget applies). Goal:
// app ≥ 0.6× raw, p99 ≤ 2× raw p99. The catalogue is seeded in SQL.
import { join } from 'node:path';
import pg from 'pg';
import { appEnv, compare, databaseServer, freshDatabase, load, report, ROOT, startServer } from '../lib.mjs';

export const TRACKS = Number(process.env.BENCH_TRACKS ?? 10_000);
export const GENRES = ['trap', 'drill', 'boom-bap', 'lofi', 'afrobeats', 'house', 'rnb', 'dancehall'];
const OWNERS = 200;

/** `count` tracks over GENRES by OWNERS users (half with an artist profile), in SQL. Returns their ids. */
export async function seedCatalogue(db, count = TRACKS) {
  await db.query(
    `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at, email_verified_at)
     SELECT 'usr_cat' || lpad(g::text, 23, '0'), 'cat' || g || '@bench.local', 'x', 'Producer ' || g, now(), now(), now()
     FROM generate_series(0, $1::int - 1) g`,
    [OWNERS],
  );
  await db.query(
    `INSERT INTO artists (id, user_id, name, slug, verified, created_at, updated_at)
     SELECT 'art_cat' || lpad(g::text, 23, '0'), 'usr_cat' || lpad(g::text, 23, '0'), 'Artist ' || g, 'artist-' || g,
            g % 4 = 0, now(), now()
     FROM generate_series(0, $1::int - 1, 2) g`,
    [OWNERS],
  );
  await db.query(
    `INSERT INTO audio_files (sha256, size_bytes, format, created_at)
     SELECT 'bench' || g, 10000000 + g, 'wav', now() FROM generate_series(0, 99) g`,
  );
  // 70 % ready uploads, 20 % external links, 10 % uploads still processing (not listed)
  await db.query(
    `INSERT INTO tracks (id, owner_id, artist_id, title, bpm, genre, musical_key, mood, tags, source, external_url,
                         audio_sha256, format, duration_ms, sample_rate, channels, processing_status, created_at, updated_at)
     SELECT 'trk_cat' || lpad(g::text, 23, '0'), 'usr_cat' || lpad(o::text, 23, '0'),
            CASE WHEN o % 2 = 0 THEN 'art_cat' || lpad(o::text, 23, '0') END,
            'Beat ' || g, 60 + g % 120, ($2::text[])[1 + g % array_length($2::text[], 1)],
            CASE WHEN g % 3 = 0 THEN 'A minor' END, CASE WHEN g % 5 = 0 THEN 'dark' END, ARRAY['bench', 'tag' || g % 50],
            CASE WHEN g % 10 < 2 THEN 'external' ELSE 'upload' END::track_source,
            CASE WHEN g % 10 < 2 THEN 'https://soundcloud.com/bench/' || g END,
            CASE WHEN g % 10 >= 2 THEN 'bench' || g % 100 END,
            CASE WHEN g % 10 >= 2 THEN 'wav' END,
            CASE WHEN g % 10 >= 2 THEN 120000 + g END,
            CASE WHEN g % 10 >= 2 THEN 44100 END,
            CASE WHEN g % 10 >= 2 THEN 2 END,
            CASE WHEN g % 10 = 9 THEN 'processing' WHEN g % 10 >= 2 THEN 'ready' END::processing_status,
            now() - g * interval '1 minute', now() - g * interval '1 minute'
     FROM (SELECT g, g % $3::int AS o FROM generate_series(0, $1::int - 1) g) s`,
    [count, GENRES, OWNERS],
  );
  // the owner's credit on every track (as the app creates them), a co-producer on one in five
  await db.query(
    `INSERT INTO track_collaborators (track_id, user_id, role, split_percent, created_at)
     SELECT id, owner_id, 'owner', 100, created_at FROM tracks WHERE id LIKE 'trk_cat%'`,
  );
  await db.query(
    `UPDATE track_collaborators SET split_percent = 60 WHERE track_id IN (
       SELECT 'trk_cat' || lpad(g::text, 23, '0') FROM generate_series(0, $1::int - 1, 5) g)`,
    [count],
  );
  await db.query(
    `INSERT INTO track_collaborators (track_id, user_id, role, split_percent, created_at)
     SELECT 'trk_cat' || lpad(g::text, 23, '0'), 'usr_cat' || lpad(((g + 1) % $2::int)::text, 23, '0'), 'producer', 40,
            now()
     FROM generate_series(0, $1::int - 1, 5) g`,
    [count, OWNERS],
  );
  // reposts: each of the first 50 owners reposts every 7th track not their own
  await db.query(
    `INSERT INTO reposts (user_id, track_id, created_at)
     SELECT 'usr_cat' || lpad(u::text, 23, '0'), t.id, now()
     FROM generate_series(0, 49) u
     JOIN tracks t ON t.id LIKE 'trk_cat%' AND hashtext(t.id || u) % 7 = 0 AND t.owner_id <> 'usr_cat' || lpad(u::text, 23, '0')`,
  );
  await db.query('VACUUM ANALYZE');
  return Array.from({ length: count }, (_, g) => `trk_cat${String(g).padStart(23, '0')}`);
}

/** Request factories for autocannon that walk a list of paths, one per request. */
export function cycling(paths) {
  let i = 0;
  return [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }];
}

/** Visible tracks (ready or external), shuffled: what GET /tracks/:id is asked for. */
export const visibleIds = (ids) => ids.filter((_, g) => g % 10 !== 9).sort((a, b) => (hash(a) - hash(b)) | 0);
const hash = (s) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);

export default async function tracks() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_tracks');
  const env = appEnv(url, join(ROOT, '.data', 'bench-tracks'));
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await startServer('raw', `${ROOT}/bench/tracks-raw.mjs`, { DATABASE_URL: url }, '/health');
  const db = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const ids = visibleIds(await seedCatalogue(db));
    const one = ids.map((id) => `/api/v1/tracks/${id}`);
    const oneRaw = ids.map((id) => `/tracks/${id}`);
    const lists = GENRES.map((g) => `/api/v1/tracks?genre=${g}`);
    const listsRaw = GENRES.map((g) => `/tracks?genre=${g}`);
    // the same answers, before measuring (a difference is a baseline that does less)
    for (const [a, b] of [
      [one[0], oneRaw[0]],
      [lists[0], listsRaw[0]],
    ]) {
      const [x, y] = await Promise.all([
        fetch(app.base + a).then((r) => r.json()),
        fetch(raw.base + b).then((r) => r.json()),
      ]);
      if (x.next_cursor) {
        x.next_cursor = 'x';
        y.next_cursor = 'x';
      }
      if (JSON.stringify(x) !== JSON.stringify(y))
        throw new Error(`app and raw answer differently:\n${JSON.stringify(x)}\n${JSON.stringify(y)}`);
    }
    // warm both (JIT, prepared statements on every pooled connection, the database's buffers)
    await load(app.base + one[0], { duration: 3, requests: cycling(one) });
    await load(raw.base + oneRaw[0], { duration: 3, requests: cycling(oneRaw) });
    const rows = [
      await compare(
        `GET /tracks/:id (${TRACKS.toLocaleString('en')} tracks)`,
        () => load(app.base + one[0], { requests: cycling(one) }),
        () => load(raw.base + oneRaw[0], { requests: cycling(oneRaw) }),
      ),
      await compare(
        'GET /tracks?genre= (first page of 20)',
        () => load(app.base + lists[0], { requests: cycling(lists) }),
        () => load(raw.base + listsRaw[0], { requests: cycling(listsRaw) }),
      ),
    ];
    report(rows, 'tracks.json');
  } finally {
    await db.end();
    await app.stop();
    await raw.stop();
    await server.stop();
  }
}
