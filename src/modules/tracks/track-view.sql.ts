import { trackVisibleSql } from './track-visibility';

/**
 * The catalogue's read statements (GET /tracks/:id and GET /tracks), run as named prepared
 * statements on the shared pg pool (tracks.repository.ts). One statement per request: the track,
 * its primary artist, its file's size, its repost count and — for a single track — its credits.
 * bench/tracks-raw.mjs runs these same texts from dist/, so the benchmark compares like with like.
 */
const COLUMNS = `
  t.id, t.owner_id, t.title, t.bpm, t.genre, t.musical_key, t.mood, t.tags, t.source::text AS source,
  t.external_url, t.format, t.duration_ms, t.sample_rate, t.channels,
  t.processing_status::text AS processing_status, t.processing_error, t.loudness_lufs, t.true_peak_dbtp,
  t.version, t.created_at, t.updated_at,
  a.id AS artist_id, a.name AS artist_name, a.slug AS artist_slug, a.verified AS artist_verified,
  f.size_bytes, (SELECT count(*)::int FROM reposts r WHERE r.track_id = t.id) AS repost_count`;

const FROM = `FROM tracks t
  LEFT JOIN artists a ON a.id = t.artist_id
  LEFT JOIN audio_files f ON f.sha256 = t.audio_sha256`;

/** `$1` the track id. Credits in the order they were made. */
export const TRACK_VIEW_SQL = `
  SELECT ${COLUMNS},
    COALESCE((SELECT json_agg(json_build_object('user_id', c.user_id, 'role', c.role, 'split_percent', c.split_percent)
                              ORDER BY c.created_at)
              FROM track_collaborators c WHERE c.track_id = t.id), '[]'::json) AS collaborators
  ${FROM}
  WHERE t.id = $1`;

export interface TrackPageFilter {
  artistId?: string;
  genre?: string;
  q?: string;
  after?: { at: Date; id: string };
}

/**
 * The public catalogue, newest first, keyset-paginated: what anyone may see (ready uploads and
 * external links), whoever asks. One text (and prepared-statement name) per combination of
 * filters, so each keeps its own plan on the (created_at, id), (artist_id, created_at),
 * (genre, created_at) and full-text indexes.
 */
export function trackPageSql(
  filter: TrackPageFilter,
  take: number,
): { name: string; text: string; values: unknown[] } {
  const where = [trackVisibleSql('t')];
  const values: unknown[] = [];
  let name = 'tracks_page_';
  const param = (v: unknown) => `$${values.push(v)}`;
  if (filter.artistId) {
    where.push(`t.artist_id = ${param(filter.artistId)}`);
    name += 'a';
  }
  if (filter.genre) {
    where.push(`t.genre = ${param(filter.genre.toLowerCase())}`);
    name += 'g';
  }
  if (filter.q) {
    where.push(
      `track_search_document(t.title, t.genre, t.tags) @@ plainto_tsquery('simple', ${param(filter.q)})`,
    );
    name += 'q';
  }
  if (filter.after) {
    where.push(`(t.created_at, t.id) < (${param(filter.after.at)}, ${param(filter.after.id)})`);
    name += 'c';
  }
  const text = `SELECT ${COLUMNS} ${FROM} WHERE ${where.join(' AND ')}
    ORDER BY t.created_at DESC, t.id DESC LIMIT ${param(take)}`;
  return { name, text, values };
}
