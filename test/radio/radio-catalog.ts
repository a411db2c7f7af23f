import type { Client } from 'pg';
import { newId } from '../../src/platform/ids';

/** A track row written straight into the catalogue (the radio only reads tracks). */
export interface SeedTrack {
  ownerId: string;
  artistId?: string | null;
  genre: string;
  bpm: number;
  key?: string | null;
  title?: string;
  durationMs?: number;
  source?: 'upload' | 'external';
  status?: 'pending' | 'processing' | 'ready' | 'failed' | null;
}

export const trackId = () => newId('trk');

/** Inserts the tracks (ready uploads unless told otherwise); returns their ids in order. */
export async function insertTracks(db: Client, tracks: SeedTrack[]): Promise<string[]> {
  const ids = tracks.map(() => trackId());
  if (!tracks.length) return ids;
  await db.query(
    `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('radio-test', 1, 'wav', now())
     ON CONFLICT DO NOTHING`,
  );
  await db.query(
    `INSERT INTO tracks (id, owner_id, artist_id, title, bpm, genre, musical_key, tags, source, processing_status,
                         external_url, audio_sha256, duration_ms, created_at, updated_at)
     SELECT x.id, x.owner_id, x.artist_id, x.title, x.bpm, x.genre, x.musical_key, '{}', x.source::track_source,
            x.status::processing_status, CASE WHEN x.source = 'external' THEN 'https://example.com/t' END,
            CASE WHEN x.source = 'upload' THEN 'radio-test' END,
            x.duration_ms, now() - (x.n || ' seconds')::interval, now() - (x.n || ' seconds')::interval
     FROM json_to_recordset($1::json) AS x(id text, owner_id text, artist_id text, title text, bpm int, genre text,
          musical_key text, source text, status text, duration_ms int, n int)`,
    [
      JSON.stringify(
        tracks.map((t, i) => ({
          id: ids[i],
          owner_id: t.ownerId,
          artist_id: t.artistId ?? null,
          title: t.title ?? `Track ${i}`,
          bpm: t.bpm,
          genre: t.genre,
          musical_key: t.key ?? null,
          source: t.source ?? 'upload',
          status: t.status === undefined ? (t.source === 'external' ? null : 'ready') : t.status,
          duration_ms: t.durationMs ?? 180_000,
          n: tracks.length - i,
        })),
      ),
    ],
  );
  return ids;
}

export async function insertArtist(db: Client, userId: string, name: string): Promise<string> {
  const id = newId('art');
  await db.query(
    `INSERT INTO artists (id, user_id, name, slug, created_at, updated_at) VALUES ($1, $2, $3, $4, now(), now())`,
    [id, userId, name, `${name.toLowerCase().replace(/\W+/g, '-')}-${id.slice(-6)}`],
  );
  return id;
}

/** Users without the HTTP round trips, for owning seeded tracks (they never sign in). */
export async function insertOwners(db: Client, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId('usr'));
  await db.query(
    `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
     SELECT u, u || '@owners.test', 'x', 'Owner', now(), now() FROM unnest($1::text[]) u`,
    [ids],
  );
  return ids;
}
