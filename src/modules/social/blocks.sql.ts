import { Prisma } from '@prisma/client';

/**
 * The SQL condition "no block between the user `me` and the user in `column`, either way", for
 * lists that must leave out blocked users (the feed here, radio and playlists elsewhere):
 * `WHERE ${notBlockedEitherWay(userId, Prisma.raw('t.owner_id'))}`.
 */
export const notBlockedEitherWay = (me: string, column: Prisma.Sql): Prisma.Sql => Prisma.sql`NOT EXISTS (
  SELECT 1 FROM blocks b
  WHERE (b.blocker_id = ${me} AND b.blocked_id = ${column}) OR (b.blocker_id = ${column} AND b.blocked_id = ${me}))`;

/** The same condition as text for plain pg statements: `meParam` is a placeholder such as `$1`. */
export const notBlockedEitherWaySql = (meParam: string, column: string): string => `NOT EXISTS (
  SELECT 1 FROM blocks b
  WHERE (b.blocker_id = ${meParam} AND b.blocked_id = ${column}) OR (b.blocker_id = ${column} AND b.blocked_id = ${meParam}))`;
