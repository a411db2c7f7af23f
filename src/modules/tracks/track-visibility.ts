import type { Principal } from '../../platform/access/principal';

/**
 * Who may see a track — the one rule, in its two forms: `trackVisibleSql` for the statements that
 * list tracks (the catalogue, the feed, library and playlist entries), and for one row in hand
 * trackAccess's `see` (track-access.ts: `isPublicTrack` below, or a relation to the track — owner,
 * credited collaborator — or admin). test/tracks/visibility proves the two agree on every
 * combination of source, processing status, owner, collaborator, admin and anonymous reader.
 *
 * Anyone, signed in or not, sees a ready upload or an external link; a track still processing,
 * or failed, only its owner, its credited collaborators and admins.
 */

/** What the rule reads of a track. */
export interface TrackVisibilityFacts {
  ownerId: string;
  source: 'upload' | 'external';
  processingStatus: 'pending' | 'processing' | 'ready' | 'failed' | null;
  collaborators: readonly { userId: string }[];
}

/** A placeholder in a statement's parameter list, such as `$2` — never a value. */
export type Placeholder = `$${number}`;

/**
 * The reader, as two parameters of a statement: its user id ('' when nobody is signed in) and
 * whether it is an admin. `readerValues` gives their values, in that order.
 */
export interface ReaderParams {
  user: Placeholder;
  admin: Placeholder;
}

export const readerValues = (principal: Principal | undefined): [string, boolean] => [
  principal?.userId ?? '',
  principal?.role === 'admin',
];

/** Whether anyone may see the track. */
export const isPublicTrack = (track: Pick<TrackVisibilityFacts, 'source' | 'processingStatus'>): boolean =>
  track.source === 'external' || track.processingStatus === 'ready';

/**
 * The rule as an SQL condition on the track `t` (an alias of `tracks`). Without `reader`: what
 * anyone may see — the catalogue and the feed show only that, whoever asks; its text is what
 * their indexes and benchmarks were measured with, so it stays this plain OR. With `reader`: what
 * that reader may see (a column of library and playlist entries, which keep the entries the
 * reader may not see as unavailable). Like any SQL comparison it is NULL rather than false for
 * an upload without a processing status; a WHERE drops it all the same.
 */
export function trackVisibleSql(t: string, reader?: ReaderParams): string {
  const anyone = `${t}.source = 'external' OR ${t}.processing_status = 'ready'`;
  if (!reader) return `(${anyone})`;
  return `(${anyone} OR ${reader.admin}::boolean OR ${trackCreditedSql(t, reader.user)})`;
}

/** Whether the user (a placeholder) owns the track `t` or is credited on it. */
export const trackCreditedSql = (t: string, user: Placeholder): string =>
  `(${t}.owner_id = ${user} OR EXISTS (SELECT 1 FROM track_collaborators c WHERE c.track_id = ${t}.id AND c.user_id = ${user}))`;

/**
 * What anyone may hear on the radio, on the track `t`: a ready upload (external links are not
 * hosted here; pending, processing and failed uploads have no playable audio) — the hosted half
 * of what anyone may see. The literal text matters: the radio's partial indexes (migration
 * 20261130200000_radio) are defined with it.
 */
export const trackPlayableSql = (t: string): string =>
  `${t}.source = 'upload' AND ${t}.processing_status = 'ready'`;
