import type { Principal } from '../../platform/access/principal';
import { trackAccess } from '../tracks/track-access';
import type { TrackRow } from '../tracks/tracks.repository';

/**
 * The columns of a track a library or playlist entry shows, read by the same statement that reads
 * the entries (`t` is `tracks`, `a` its artist; `$me` the caller, for `credited`, a placeholder such as `$2`, never a value).
 */
export const summaryColumns = (meParam: `$${number}`) => `
  t.title, t.owner_id AS "ownerId", a.name AS "artistName", t.bpm, t.genre, t.source::text AS source,
  t.duration_ms AS "durationMs", t.processing_status::text AS "processingStatus",
  (t.owner_id = ${meParam} OR EXISTS (SELECT 1 FROM track_collaborators c WHERE c.track_id = t.id AND c.user_id = ${meParam})) AS credited`;

export interface SummaryRow {
  trackId: string;
  title: string;
  ownerId: string;
  artistName: string | null;
  bpm: number;
  genre: string;
  source: 'upload' | 'external';
  durationMs: number | null;
  processingStatus: string | null;
  credited: boolean;
}

export class TrackSummaryDto {
  id!: string;
  title!: string;
  owner_id!: string;
  artist_name!: string | null;
  bpm!: number;
  genre!: string;
  /** upload | external */
  source!: string;
  /** null for external links */
  duration_ms!: number | null;
}

/**
 * Whether the caller may see the track now, decided by the tracks module's rule (trackAccess):
 * the entry's row carries exactly what that rule reads. A track that is saved or listed but not
 * (or no longer) visible to the reader is shown as unavailable, without its details.
 */
export function visibleTo(row: SummaryRow, principal: Principal | undefined): boolean {
  const track = {
    source: row.source,
    processingStatus: row.processingStatus,
    ownerId: row.ownerId,
    collaborators: row.credited && principal ? [{ userId: principal.userId }] : [],
  } as unknown as TrackRow;
  return trackAccess.can(principal, 'see', track);
}

export function toSummary(row: SummaryRow, principal: Principal | undefined): TrackSummaryDto | null {
  if (!visibleTo(row, principal)) return null;
  return {
    id: row.trackId,
    title: row.title,
    owner_id: row.ownerId,
    artist_name: row.artistName,
    bpm: row.bpm,
    genre: row.genre,
    source: row.source,
    duration_ms: row.durationMs,
  };
}

/** The summary of a track the caller was just allowed to see (a save or an add answers it). */
export function summaryOfTrack(track: TrackRow): TrackSummaryDto {
  return {
    id: track.id,
    title: track.title,
    owner_id: track.ownerId,
    artist_name: track.artist?.name ?? null,
    bpm: track.bpm,
    genre: track.genre,
    source: track.source,
    duration_ms: track.durationMs,
  };
}
