// The raw baseline of the playlists benchmark, in a process of its own like the app: bare Fastify
// handlers sending the app's statements for its three routes (bench/raw-db.mjs for the rule),
// with pg, no Nest, no Prisma, no guards, no validation. The caller is found from its access
// token by the app's statements.
//
// - GET /playlists/:id (PlaylistsService.get): the playlist and its entries, two prepared
//   statements at once on two checkouts;
// - POST /playlists/:id/tracks (addTrack): one transaction of three prepared statements — the
//   playlist's row lock, its state with the track's summary, the insert with the version bump;
// - POST /playlists/:id/tracks/move (move): the playlist, its neighbours' keys, then one
//   conditional statement rewriting one row, retried as the app retries; a key that would pass
//   40 characters re-spreads the order under the playlist's lock, in the statements of the
//   app's Prisma transaction.
import Fastify from 'fastify';
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';
import { answerRefusal, appModule, db, principal, Refused, sql, transaction } from './raw-db.mjs';

const { entrySummaryColumns } = appModule('modules/tracks/track-summary.js');

const { PORT } = process.env;
/** the app's: LIMIT_PLAYLIST_TRACKS's default, MAX_KEY_LENGTH, MOVE_ATTEMPTS */
const PLAYLIST_TRACKS = 500;
const MAX_KEY_LENGTH = 40;
const MOVE_ATTEMPTS = 8;
const app = Fastify();
app.setErrorHandler(answerRefusal);

/** PlaylistsRepository's PLAYLIST_COLUMNS: `$2` the caller, `$3` now */
const PLAYLIST_COLUMNS = `
  p.id, p.owner_id AS "ownerId", p.name, p.description, p.visibility::text AS visibility, p.version,
  p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  COALESCE((SELECT json_agg(json_build_object('user_id', e.user_id, 'added_at', e.added_at) ORDER BY e.added_at, e.user_id)
            FROM playlist_editors e WHERE e.playlist_id = p.id), '[]'::json) AS editors,
  EXISTS (SELECT 1 FROM playlist_invitations i WHERE i.playlist_id = p.id AND i.invitee_id = $2
            AND i.status = 'pending' AND i.expires_at > $3) AS invited`;

const canEdit = (p, user) => p.ownerId === user || p.editors.some((e) => e.user_id === user);
const canRead = (p, user) => p.visibility === 'public' || canEdit(p, user) || p.invited;
/** the tracks module's rule, evaluated by the statement that reads the entry (track-summary.ts readerSees) */
const visible = (e) => e.visible === true;

const find = async (id, user, now) =>
  (
    await sql(`SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.id = $1`, [id, user, now], 'playlist_find')
  )[0];

app.get('/health', async () => ({ ok: true }));

app.get('/playlists/:id', async (req) => {
  const { userId, role } = await principal(req.headers.authorization);
  const id = req.params.id;
  const [p, entries] = await Promise.all([
    find(id, userId, new Date()),
    sql(
      `SELECT pt.track_id AS "trackId", pt.added_by AS "addedBy", pt.added_at AS "addedAt", ${entrySummaryColumns({ user: '$2', admin: '$3' })}
       FROM playlist_tracks pt
       JOIN tracks t ON t.id = pt.track_id
       LEFT JOIN artists a ON a.id = t.artist_id
       WHERE pt.playlist_id = $1
       ORDER BY pt.position`,
      [id, userId, role === 'admin'],
      'playlist_entries',
    ),
  ]);
  if (!p || !canRead(p, userId)) throw new Refused(404, 'playlist_not_found');
  return {
    id: p.id,
    owner_id: p.ownerId,
    name: p.name,
    description: p.description,
    visibility: p.visibility,
    version: p.version,
    track_count: entries.length,
    duration_ms: entries.reduce((s, e) => s + (e.duration_ms ?? 0), 0),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
    editors: p.editors.map((e) => ({ user_id: e.user_id, added_at: new Date(e.added_at).toISOString() })),
    tracks: entries.map((e) => ({
      track_id: e.trackId,
      added_by: e.addedBy,
      added_at: e.addedAt.toISOString(),
      available: visible(e),
      track: visible(e)
        ? {
            id: e.id,
            title: e.title,
            owner_id: e.owner_id,
            artist_name: e.artist_name,
            bpm: e.bpm,
            genre: e.genre,
            source: e.source,
            duration_ms: e.duration_ms,
          }
        : null,
    })),
  };
});

app.post('/playlists/:id/tracks', async (req, reply) => {
  const { userId, role } = await principal(req.headers.authorization);
  const trackId = req.body.track_id;
  const id = req.params.id;
  const now = new Date();
  const out = await transaction(async (tx) => {
    const [p] = await tx.query(
      `SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.id = $1 FOR UPDATE OF p`,
      [id, userId, now],
      'playlist_lock',
    );
    if (!p || !canEdit(p, userId)) throw new Refused(404, 'playlist_not_found');
    const [s] = await tx.query(
      `SELECT s.count, s.last, s.present,
              (SELECT row_to_json(x) FROM (SELECT ${entrySummaryColumns({ user: '$3', admin: '$4' })}
                 FROM tracks t LEFT JOIN artists a ON a.id = t.artist_id WHERE t.id = $2) x) AS track
       FROM (SELECT count(*)::int AS count, max(position) AS last, COALESCE(bool_or(track_id = $2), false) AS present
             FROM playlist_tracks WHERE playlist_id = $1) s`,
      [id, trackId, userId, role === 'admin'],
      'playlist_add_state',
    );
    if (!s.track || !visible(s.track)) throw new Refused(404, 'track_not_found');
    if (s.present) throw new Refused(409, 'track_already_in_playlist');
    if (s.count >= PLAYLIST_TRACKS) throw new Refused(429, 'playlist_full');
    const [v] = await tx.query(
      `WITH entry AS (
           INSERT INTO playlist_tracks (playlist_id, track_id, position, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
         )
         UPDATE playlists SET version = version + 1, updated_at = $5 WHERE id = $1 RETURNING version`,
      [id, trackId, generateKeyBetween(s.last, null), userId, now],
      'playlist_append_track',
    );
    return { playlist_id: id, version: v.version, track_count: s.count + 1 };
  });
  reply.status(201);
  return out;
});

/**
 * PlaylistsService.moveBySpreading, in the statements of its Prisma transaction (unnamed, as
 * Prisma sends them): the playlist's lock, its order, the two rewrites, the version bump.
 */
async function moveBySpreading(id, user, trackId, beforeId, version) {
  const now = new Date();
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const q = async (text, values) => (await client.query({ text, values })).rows;
    const [p] = await q(`SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.id = $1 FOR UPDATE OF p`, [
      id,
      user,
      now,
    ]);
    let out = null;
    if (p && canEdit(p, user) && p.version === version) {
      const order = (
        await q(
          `
      SELECT track_id AS "trackId" FROM playlist_tracks WHERE playlist_id = $1 ORDER BY position`,
          [id],
        )
      )
        .map((r) => r.trackId)
        .filter((t) => t !== trackId);
      const at = beforeId === null ? order.length : order.indexOf(beforeId);
      if (at >= 0) {
        order.splice(at, 0, trackId);
        await q(
          `
      UPDATE playlist_tracks SET position = '~_' || track_id WHERE playlist_id = $1`,
          [id],
        );
        await q(
          `
      UPDATE playlist_tracks pt SET position = o.key
      FROM unnest($1::text[], $2::text[]) AS o(track_id, key)
      WHERE pt.playlist_id = $3 AND pt.track_id = o.track_id`,
          [order, generateNKeysBetween(null, null, order.length), id],
        );
        const [row] = await q(
          `
      UPDATE playlists SET version = version + 1, updated_at = $1 WHERE id = $2 RETURNING version`,
          [now, id],
        );
        out = row.version;
      }
    }
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

app.post('/playlists/:id/tracks/move', async (req) => {
  const { userId } = await principal(req.headers.authorization);
  const { track_id, before_track_id } = req.body;
  const beforeId = before_track_id ?? null;
  const id = req.params.id;
  for (let attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
    const now = new Date();
    const p = await find(id, userId, now);
    if (!p || !canEdit(p, userId)) throw new Refused(404, 'playlist_not_found');
    const [ctx] = await sql(
      `WITH b AS (SELECT position FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $3)
       SELECT (SELECT position FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2) AS current,
              (SELECT position FROM b) AS before,
              (SELECT position FROM playlist_tracks
                WHERE playlist_id = $1 AND track_id <> $2
                  AND ($3::text IS NULL OR position < (SELECT position FROM b))
                ORDER BY position DESC LIMIT 1) AS prev`,
      [id, track_id, beforeId],
      'playlist_move_context',
    );
    if (ctx.current === null || (beforeId !== null && ctx.before === null))
      throw new Refused(409, 'track_set_mismatch');
    const key = generateKeyBetween(ctx.prev, ctx.before);
    const version =
      key.length > MAX_KEY_LENGTH
        ? await moveBySpreading(id, userId, track_id, beforeId, p.version)
        : ((
            await sql(
              `WITH v AS (
         UPDATE playlists SET version = version + 1, updated_at = $5
         WHERE id = $1 AND version = $4
           AND EXISTS (SELECT 1 FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2)
         RETURNING version
       )
       UPDATE playlist_tracks pt SET position = $3 FROM v
       WHERE pt.playlist_id = $1 AND pt.track_id = $2
       RETURNING v.version`,
              [id, track_id, key, p.version, now],
              'playlist_move',
            )
          )[0]?.version ?? null);
    if (version !== null) return { playlist_id: id, version, track_id, before_track_id: beforeId };
  }
  throw new Refused(409, 'stale_version');
});

await app.listen({ port: Number(PORT), host: '127.0.0.1' });
