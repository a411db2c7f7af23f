/**
 * The SQL condition "no block between the user `me` and the user in `column`, either way", for
 * lists that must leave out blocked users (the feed here, radio and playlists elsewhere):
 * `WHERE ${notBlockedEitherWay('$1', 't.owner_id')}` with the user's id as `$1`.
 */
export const notBlockedEitherWay = (meParam: string, column: string): string => `NOT EXISTS (
  SELECT 1 FROM blocks b
  WHERE (b.blocker_id = ${meParam} AND b.blocked_id = ${column}) OR (b.blocker_id = ${column} AND b.blocked_id = ${meParam}))`;
