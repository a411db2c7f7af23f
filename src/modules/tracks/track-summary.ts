import { type ReaderParams, trackVisibleSql } from './track-visibility';
import type { TrackView } from './tracks.repository';

/**
 * A track's summary: what every list of tracks shows of each (library and playlist entries, the
 * feed, radio), read by the statement that reads the list. `t` is the `tracks` alias.
 */
export const trackSummaryColumns = (t: string): string =>
  `${t}.id, ${t}.title, ${t}.owner_id, ${t}.bpm, ${t}.genre, ${t}.musical_key, ${t}.source::text AS source, ${t}.duration_ms`;

/** The track's primary artist, for the lists that show it: `a` is `LEFT JOIN artists a ON a.id = t.artist_id`. */
export const artistSummaryColumns = (a: string): string =>
  `${a}.id AS artist_id, ${a}.name AS artist_name, ${a}.slug AS artist_slug`;

export interface TrackSummaryRow {
  id: string;
  title: string;
  owner_id: string;
  bpm: number;
  genre: string;
  musical_key: string | null;
  source: 'upload' | 'external';
  /** null for external links */
  duration_ms: number | null;
}

export interface ArtistSummaryRow {
  artist_id: string | null;
  artist_name: string | null;
  artist_slug: string | null;
}

/**
 * A library or playlist entry's track: its summary, its artist, and whether the reader may see it
 * now (the tracks module's rule, evaluated by the same statement). An entry whose track is not
 * (or no longer) visible to the reader stays in its place, shown as unavailable.
 */
export const entrySummaryColumns = (reader: ReaderParams): string =>
  `${trackSummaryColumns('t')}, ${artistSummaryColumns('a')}, ${trackVisibleSql('t', reader)} AS visible`;

export type EntrySummaryRow = TrackSummaryRow &
  ArtistSummaryRow & {
    /** null counts as false (see trackVisibleSql) */
    visible: boolean | null;
  };

/** The summary of a track in library and playlist answers. */
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

export const toTrackSummaryDto = (
  row: TrackSummaryRow & Pick<ArtistSummaryRow, 'artist_name'>,
): TrackSummaryDto => ({
  id: row.id,
  title: row.title,
  owner_id: row.owner_id,
  artist_name: row.artist_name,
  bpm: row.bpm,
  genre: row.genre,
  source: row.source,
  duration_ms: row.duration_ms,
});

/** Whether the reader may see an entry's track. */
export const readerSees = (row: Pick<EntrySummaryRow, 'visible'>): boolean => row.visible === true;

/** An entry's track as the reader may see it: its summary, or null when the reader may not. */
export const visibleSummary = (row: EntrySummaryRow): TrackSummaryDto | null =>
  readerSees(row) ? toTrackSummaryDto(row) : null;

/** The summary row of a track read whole (a save or an add answers the track just checked). */
export const summaryRowOf = (
  track: Pick<
    TrackView,
    'id' | 'title' | 'ownerId' | 'bpm' | 'genre' | 'musicalKey' | 'source' | 'durationMs'
  > & {
    artist: Pick<NonNullable<TrackView['artist']>, 'id' | 'name' | 'slug'> | null;
  },
): TrackSummaryRow & ArtistSummaryRow => ({
  id: track.id,
  title: track.title,
  owner_id: track.ownerId,
  bpm: track.bpm,
  genre: track.genre,
  musical_key: track.musicalKey,
  source: track.source,
  duration_ms: track.durationMs,
  artist_id: track.artist?.id ?? null,
  artist_name: track.artist?.name ?? null,
  artist_slug: track.artist?.slug ?? null,
});
