// The raw baseline of the playlists benchmark, in a process of its own like the app: bare Fastify
// handlers running the same SQL as the app (pg, no Nest, no Prisma, no guards, no validation) —
// the read of a playlist with its entries, an add under the playlist row's lock, and a move as
// one conditional statement after reading its neighbours' keys. Callers are named in the request.
import Fastify from 'fastify';
import { generateKeyBetween } from 'fractional-indexing';
import { db, tx } from './raw-db.mjs';

const { PORT } = process.env;
const app = Fastify();

class Refused extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
  }
}
app.setErrorHandler((err, _req, reply) => {
  reply.status(err instanceof Refused ? err.status : 500).send({ code: err.message });
});

const PLAYLIST = `
  SELECT p.id, p.owner_id, p.name, p.description, p.visibility::text AS visibility, p.version, p.created_at, p.updated_at,
    COALESCE((SELECT json_agg(json_build_object('user_id', e.user_id, 'added_at', e.added_at) ORDER BY e.added_at, e.user_id)
              FROM playlist_editors e WHERE e.playlist_id = p.id), '[]'::json) AS editors,
    EXISTS (SELECT 1 FROM playlist_invitations i WHERE i.playlist_id = p.id AND i.invitee_id = $2
              AND i.status = 'pending' AND i.expires_at > $3) AS invited
  FROM playlists p WHERE p.id = $1`;

const canEdit = (p, user) => p.owner_id === user || p.editors.some((e) => e.user_id === user);
const canRead = (p, user) => p.visibility === 'public' || canEdit(p, user) || p.invited;

app.get('/health', async () => ({ ok: true }));

app.get('/playlists/:id', async (req) => {
  const user = req.query.user_id ?? '';
  const [pr, er] = await Promise.all([
    db.query({ name: 'find', text: PLAYLIST, values: [req.params.id, user, new Date()] }),
    db.query({
      name: 'entries',
      text: `SELECT pt.track_id, pt.added_by, pt.added_at, t.title, t.owner_id, a.name AS artist_name, t.bpm, t.genre,
                    t.source::text AS source, t.duration_ms, t.processing_status::text AS processing_status,
                    (t.owner_id = $2 OR EXISTS (SELECT 1 FROM track_collaborators c WHERE c.track_id = t.id AND c.user_id = $2)) AS credited
             FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id LEFT JOIN artists a ON a.id = t.artist_id
             WHERE pt.playlist_id = $1 ORDER BY pt.position`,
      values: [req.params.id, user],
    }),
  ]);
  const p = pr.rows[0];
  if (!p || !canRead(p, user)) throw new Refused(404, 'playlist_not_found');
  const entries = er.rows;
  return {
    id: p.id,
    owner_id: p.owner_id,
    name: p.name,
    description: p.description,
    visibility: p.visibility,
    version: p.version,
    track_count: entries.length,
    duration_ms: entries.reduce((s, e) => s + (e.duration_ms ?? 0), 0),
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
    editors: p.editors,
    tracks: entries.map((e) => {
      const visible = e.source === 'external' || e.processing_status === 'ready' || e.credited;
      return {
        track_id: e.track_id,
        added_by: e.added_by,
        added_at: e.added_at.toISOString(),
        available: visible,
        track: visible
          ? {
              id: e.track_id,
              title: e.title,
              owner_id: e.owner_id,
              artist_name: e.artist_name,
              bpm: e.bpm,
              genre: e.genre,
              source: e.source,
              duration_ms: e.duration_ms,
            }
          : null,
      };
    }),
  };
});

app.post('/playlists/:id/tracks', async (req, reply) => {
  const { user_id, track_id } = req.body;
  const id = req.params.id;
  const now = new Date();
  const track = (await db.query(`SELECT id, source, processing_status FROM tracks WHERE id = $1`, [track_id]))
    .rows[0];
  if (!track) throw new Refused(404, 'track_not_found');
  const out = await tx(async (c) => {
    const p = (await c.query(`${PLAYLIST} FOR UPDATE OF p`, [id, user_id, now])).rows[0];
    if (!p || !canEdit(p, user_id)) throw new Refused(404, 'playlist_not_found');
    const s = (
      await c.query(
        `SELECT count(*)::int AS count, max(position) AS last, COALESCE(bool_or(track_id = $2), false) AS present
         FROM playlist_tracks WHERE playlist_id = $1`,
        [id, track_id],
      )
    ).rows[0];
    if (s.present) throw new Refused(409, 'track_already_in_playlist');
    if (s.count >= 500) throw new Refused(429, 'playlist_full');
    const v = await c.query(
      `WITH entry AS (
         INSERT INTO playlist_tracks (playlist_id, track_id, position, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
       )
       UPDATE playlists SET version = version + 1, updated_at = $5 WHERE id = $1 RETURNING version`,
      [id, track_id, generateKeyBetween(s.last, null), user_id, now],
    );
    return { playlist_id: id, version: v.rows[0].version, track_count: s.count + 1 };
  });
  reply.status(201);
  return out;
});

app.post('/playlists/:id/tracks/move', async (req) => {
  const { user_id, track_id, before_track_id } = req.body;
  const id = req.params.id;
  for (let attempt = 0; attempt < 8; attempt++) {
    const now = new Date();
    const p = (await db.query({ name: 'find', text: PLAYLIST, values: [id, user_id, now] })).rows[0];
    if (!p || !canEdit(p, user_id)) throw new Refused(404, 'playlist_not_found');
    const ctx = (
      await db.query({
        name: 'ctx',
        text: `WITH b AS (SELECT position FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $3)
               SELECT (SELECT position FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2) AS current,
                      (SELECT position FROM b) AS before,
                      (SELECT position FROM playlist_tracks
                        WHERE playlist_id = $1 AND track_id <> $2
                          AND ($3::text IS NULL OR position < (SELECT position FROM b))
                        ORDER BY position DESC LIMIT 1) AS prev`,
        values: [id, track_id, before_track_id],
      })
    ).rows[0];
    if (ctx.current === null || (before_track_id !== null && ctx.before === null))
      throw new Refused(409, 'track_set_mismatch');
    const key = generateKeyBetween(ctx.prev, ctx.before);
    const r = await db.query({
      name: 'move',
      text: `WITH v AS (
               UPDATE playlists SET version = version + 1, updated_at = $5
               WHERE id = $1 AND version = $4
                 AND EXISTS (SELECT 1 FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2)
               RETURNING version)
             UPDATE playlist_tracks pt SET position = $3 FROM v
             WHERE pt.playlist_id = $1 AND pt.track_id = $2 RETURNING v.version`,
      values: [id, track_id, key, p.version, now],
    });
    if (r.rows[0]) return { playlist_id: id, version: r.rows[0].version, track_id, before_track_id };
  }
  throw new Refused(409, 'stale_version');
});

await app.listen({ port: Number(PORT), host: '127.0.0.1' });
