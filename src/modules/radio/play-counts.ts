import { trackCreditedSql, type Placeholder } from '../tracks/track-visibility';

/** A play counts when at least this much was heard (or the whole track, if shorter)… */
export const QUALIFYING_SECONDS = 30;
/** …at most once per listener and track in this window… */
export const PLAY_WINDOW_SECONDS = 600;

/**
 * …and never the owner's or a credited collaborator's: the rule of every play count (radio's and
 * on-demand playback's, POST /tracks/:id/plays), as the common table expressions of one
 * statement. `play_q` is the track when the play qualifies; `play_w` the listener's window row,
 * upserted only when the window is open (its row lock makes concurrent reports of one listen take
 * turns: only the first finds it open); `play_c` the incremented count. `gate`, when given, is a
 * CTE that must have a row (radio: the session moved). The counted play is `EXISTS (SELECT 1 FROM
 * play_w)`.
 */
export function countPlaySql(p: {
  user: Placeholder;
  track: string;
  heardSeconds: string;
  at: Placeholder;
  gate?: string;
}): string {
  return `play_q AS (
    SELECT t.id FROM tracks t
    WHERE t.id = ${p.track} ${p.gate ? `AND EXISTS (SELECT 1 FROM ${p.gate})` : ''}
      AND ${p.heardSeconds} >= LEAST(${QUALIFYING_SECONDS}, COALESCE(t.duration_ms, 0) / 1000)
      AND NOT ${trackCreditedSql('t', p.user)}
  ), play_w AS (
    INSERT INTO play_windows AS pw (user_id, track_id, counted_at) SELECT ${p.user}, id, ${p.at} FROM play_q
    ON CONFLICT (user_id, track_id) DO UPDATE SET counted_at = EXCLUDED.counted_at
      WHERE pw.counted_at <= EXCLUDED.counted_at - interval '${PLAY_WINDOW_SECONDS} seconds'
    RETURNING track_id
  ), play_c AS (
    INSERT INTO track_play_counts AS pc (track_id, plays) SELECT track_id, 1 FROM play_w
    ON CONFLICT (track_id) DO UPDATE SET plays = pc.plays + 1
    RETURNING plays
  )`;
}
