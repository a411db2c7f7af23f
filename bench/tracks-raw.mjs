// The raw baseline of the catalogue benchmark, in a process of its own like the app: bare Fastify
// running the app's own read statements (dist/modules/tracks/track-view.sql.js) with pg, the same
// visibility rule and the same JSON — no Nest, no guards, no validation, no rate limits. Callers
// are anonymous (the public view): the guard's only statement is the maintenance switch.
import Fastify from 'fastify';
import { appModule, db, maintenanceOpen } from './raw-db.mjs';

const { TRACK_VIEW_SQL, trackPageSql } = appModule('modules/tracks/track-view.sql.js');
const app = Fastify();

const visible = (r) => r.source === 'external' || r.processing_status === 'ready';
const toTrack = (r, withCredits) => ({
  id: r.id,
  owner_id: r.owner_id,
  artist: r.artist_id
    ? { id: r.artist_id, name: r.artist_name, slug: r.artist_slug, verified: r.artist_verified }
    : null,
  title: r.title,
  bpm: r.bpm,
  genre: r.genre,
  key: r.musical_key,
  mood: r.mood,
  tags: r.tags,
  source: r.source,
  external_url: r.external_url,
  audio:
    r.source === 'upload' && r.format && r.duration_ms !== null
      ? {
          format: r.format,
          duration_ms: r.duration_ms,
          sample_rate: r.sample_rate,
          channels: r.channels,
          size_bytes: Number(r.size_bytes ?? 0),
        }
      : null,
  processing_status: r.processing_status,
  processing_error: r.processing_error,
  ...(withCredits
    ? {
        collaborators: r.collaborators.map((c) => ({
          user_id: c.user_id,
          role: c.role,
          split_percent: Number(c.split_percent),
        })),
      }
    : {}),
  repost_count: r.repost_count,
  version: r.version,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

app.get('/health', async () => ({ ok: true }));

app.get('/tracks/:id', async (req, reply) => {
  await maintenanceOpen();
  const [row] = (await db.query({ name: 'track_view', text: TRACK_VIEW_SQL, values: [req.params.id] })).rows;
  if (!row || !visible(row)) return reply.code(404).send({ code: 'track_not_found' });
  reply.header('ETag', `"${row.version}"`);
  return toTrack(row, true);
});

app.get('/tracks', async (req) => {
  await maintenanceOpen();
  const limit = Number(req.query.limit ?? 20);
  const { name, text, values } = trackPageSql({ genre: req.query.genre }, limit + 1);
  const rows = (await db.query({ name, text, values })).rows.filter(visible);
  const page = rows.slice(0, limit);
  return {
    data: page.map((r) => toTrack(r, false)),
    next_cursor: rows.length > limit ? 'x' : null,
  };
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
