import { trackSummaryColumns } from '../tracks/track-summary';
import { trackVisibleSql } from '../tracks/track-visibility';

/**
 * The feed query (fan-out on read; see README "Feed"). Parameters: $1 the reader, $2 the
 * snapshot time of the first page (`as_of`: later activity waits for a refresh), $3/$4 the
 * cursor (activity time, track id; `infinity`/'' on the first page), $5 k, $6 rows wanted.
 *
 * 1. `heads`: for each followed account, an upper bound of its newest activity below the
 *    cursor: `activity_heads.last_at` (raised by triggers on tracks and reposts) when it is
 *    below the cursor, which is every account on the first page; otherwise two index probes
 *    (tracks_feed_idx, reposts by user) find it exactly. Never more than the follow count.
 * 2. `threshold`: the k-th highest head. Every entry newer than it is complete, because only
 *    accounts whose head is at least that high can have activity that new (a bound left high
 *    by a deleted track only adds an account with nothing to show).
 * 3. `activity`: those accounts' tracks and reposts between the threshold and the cursor,
 *    grouped into one entry per track (its newest activity; who reposted it).
 * 4. Entries already shown on an earlier page (some followed activity on the track between the
 *    cursor and as_of) and tracks of users blocked either way are left out.
 * Tracks are those anyone may see (the tracks module's rule, whoever reads: the feed shows a
 * followed account's public activity), each with the tracks module's summary.
 * The service asks again with a larger k when fewer than $6 entries came back and k was below
 * the number of followed accounts.
 */
export const FEED_SQL = `
WITH heads AS MATERIALIZED (
  SELECT f.followee_id AS actor,
         CASE
           WHEN ah.last_at IS NULL THEN NULL
           WHEN ah.last_at <= $2 AND ah.last_at < $3 THEN ah.last_at
           ELSE GREATEST(
             (SELECT t.created_at FROM tracks t
               WHERE t.owner_id = f.followee_id AND ${trackVisibleSql('t')}
                 AND t.created_at <= $2 AND (t.created_at, t.id) < ($3, $4)
               ORDER BY t.created_at DESC, t.id DESC LIMIT 1),
             (SELECT r.created_at FROM reposts r
               WHERE r.user_id = f.followee_id AND r.created_at <= $2 AND (r.created_at, r.track_id) < ($3, $4)
               ORDER BY r.created_at DESC, r.track_id DESC LIMIT 1))
         END AS head
  FROM follows f LEFT JOIN activity_heads ah ON ah.user_id = f.followee_id
  WHERE f.follower_id = $1
), threshold AS (
  SELECT COALESCE(
    (SELECT head FROM heads WHERE head IS NOT NULL ORDER BY head DESC OFFSET $5::int - 1 LIMIT 1),
    '-infinity'::timestamptz) AS at
), active AS (
  SELECT h.actor FROM heads h, threshold th WHERE h.head >= th.at
), activity AS (
  SELECT t.id AS track_id, t.created_at AS at, a.actor, false AS repost
  FROM active a, threshold th, tracks t
  WHERE t.owner_id = a.actor AND ${trackVisibleSql('t')}
    AND t.created_at >= th.at AND t.created_at <= $2 AND (t.created_at, t.id) < ($3, $4)
  UNION ALL
  SELECT r.track_id, r.created_at, a.actor, true
  FROM active a, threshold th, reposts r
  WHERE r.user_id = a.actor AND r.created_at >= th.at AND r.created_at <= $2
    AND (r.created_at, r.track_id) < ($3, $4)
), entries AS (
  SELECT track_id, max(at) AS at, bool_or(NOT repost) AS posted,
         array_agg(actor ORDER BY at DESC) FILTER (WHERE repost) AS reposters
  FROM activity GROUP BY track_id
)
SELECT ${trackSummaryColumns('t')}, o.display_name AS owner_name, t.external_url, t.created_at,
       e.at AS activity_at, e.posted,
       COALESCE(cardinality(e.reposters), 0) AS reposter_count,
       (SELECT COALESCE(json_agg(json_build_object('id', u.id, 'display_name', u.display_name) ORDER BY x.n), '[]')
          FROM unnest(e.reposters[1:3]) WITH ORDINALITY x(id, n) JOIN users u ON u.id = x.id) AS reposted_by,
       (SELECT count(*)::int FROM reposts rc WHERE rc.track_id = t.id) AS repost_count
FROM entries e
JOIN tracks t ON t.id = e.track_id
JOIN users o ON o.id = t.owner_id
WHERE ${trackVisibleSql('t')}
  AND NOT EXISTS (
        SELECT 1 FROM blocks b
        WHERE (b.blocker_id = $1 AND b.blocked_id = t.owner_id) OR (b.blocker_id = t.owner_id AND b.blocked_id = $1))
  AND NOT (t.created_at <= $2 AND (t.created_at, t.id) >= ($3, $4)
           AND EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = t.owner_id))
  AND NOT EXISTS (
        SELECT 1 FROM reposts r JOIN follows f ON f.follower_id = $1 AND f.followee_id = r.user_id
        WHERE r.track_id = t.id AND r.created_at <= $2 AND (r.created_at, r.track_id) >= ($3, $4))
ORDER BY e.at DESC, t.id DESC
LIMIT $6`;
