import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';
import type { Keyset } from '../../platform/pagination/pagination';

export type BlockRelation = 'none' | 'you_blocked_user' | 'user_blocked_you';

export interface UserListRow {
  id: string;
  displayName: string;
  createdAt: Date;
}

export interface ProfileRow {
  id: string;
  displayName: string;
  createdAt: Date;
  followers: number;
  following: number;
  artist: { id: string; name: string; slug: string; verified: boolean } | null;
}

/**
 * Follows, their counts, blocks and reposts. Every change to a pair of users (follow, unfollow,
 * block) runs under that pair's advisory lock, so a follow and a block of the same two people
 * cannot interleave; counter rows are always updated in user-id order (no deadlocks).
 */
@Injectable()
export class SocialRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Serialises every change between two users for the rest of the transaction. */
  async lockPair(tx: Tx, a: string, b: string): Promise<void> {
    const [x, y] = a < b ? [a, b] : [b, a];
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`pair:${x}:${y}`}, 0))`;
  }

  async userExists(id: string, tx?: Tx): Promise<boolean> {
    const rows = await (tx ?? this.prisma).$queryRaw<unknown[]>`SELECT 1 FROM users WHERE id = ${id}`;
    return rows.length > 0;
  }

  async blockRelation(me: string, other: string, tx?: Tx): Promise<BlockRelation> {
    const rows = await (tx ?? this.prisma).$queryRaw<{ blockerId: string }[]>`
      SELECT blocker_id AS "blockerId" FROM blocks
      WHERE (blocker_id = ${me} AND blocked_id = ${other}) OR (blocker_id = ${other} AND blocked_id = ${me})`;
    if (rows.some((r) => r.blockerId === me)) return 'you_blocked_user';
    return rows.length ? 'user_blocked_you' : 'none';
  }

  // ---- follows --------------------------------------------------------------------------------

  /**
   * What a follow is checked against, in one statement once the follower's budget lock and the
   * pair's lock are held: whether the followee exists, a block either way, whether the follow
   * exists, and how many the follower follows.
   */
  async followState(
    tx: Tx,
    follower: string,
    followee: string,
  ): Promise<{ exists: boolean; relation: BlockRelation; following: boolean; count: number }> {
    const [row] = await tx.$queryRaw<
      { exists: boolean; iBlocked: boolean; blockedMe: boolean; following: boolean; count: number }[]
    >`
      SELECT EXISTS (SELECT 1 FROM users WHERE id = ${followee}) AS exists,
             EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ${follower} AND blocked_id = ${followee}) AS "iBlocked",
             EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ${followee} AND blocked_id = ${follower}) AS "blockedMe",
             EXISTS (SELECT 1 FROM follows WHERE follower_id = ${follower} AND followee_id = ${followee}) AS following,
             COALESCE((SELECT following FROM follow_counts WHERE user_id = ${follower}), 0)::int AS count`;
    return {
      exists: row.exists,
      relation: row.iBlocked ? 'you_blocked_user' : row.blockedMe ? 'user_blocked_you' : 'none',
      following: row.following,
      count: row.count,
    };
  }

  /**
   * Inserts the follow and moves both counters, in one statement (the counter rows are written in
   * user-id order, as `adjustCounts` does); returns the followee's follower count.
   */
  async insertFollow(tx: Tx, follower: string, followee: string, at: Date): Promise<number> {
    const rows = await tx.$queryRaw<{ userId: string; followers: number }[]>`
      WITH f AS (
        INSERT INTO follows (follower_id, followee_id, created_at) VALUES (${follower}, ${followee}, ${at})
        RETURNING 1
      )
      INSERT INTO follow_counts AS c (user_id, following, followers)
      SELECT u, CASE WHEN u = ${follower} THEN 1 ELSE 0 END, CASE WHEN u = ${followee} THEN 1 ELSE 0 END
      FROM f, unnest(ARRAY[${follower}, ${followee}]::text[]) u
      ORDER BY u
      ON CONFLICT (user_id) DO UPDATE
        SET following = c.following + EXCLUDED.following, followers = c.followers + EXCLUDED.followers
      RETURNING c.user_id AS "userId", c.followers`;
    return rows.find((r) => r.userId === followee)!.followers;
  }

  /** True when there was a follow to remove. */
  async deleteFollow(tx: Tx, follower: string, followee: string): Promise<boolean> {
    const removed = await tx.$executeRaw`
      DELETE FROM follows WHERE follower_id = ${follower} AND followee_id = ${followee}`;
    if (removed) await this.adjustCounts(tx, follower, followee, -1);
    return removed > 0;
  }

  /** following of `follower` and followers of `followee` move by `delta`, rows locked in id order. */
  private async adjustCounts(tx: Tx, follower: string, followee: string, delta: number): Promise<void> {
    const changes: [string, 'following' | 'followers'][] = [
      [follower, 'following'],
      [followee, 'followers'],
    ];
    changes.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [userId, column] of changes) {
      if (column === 'following') {
        await tx.$executeRaw`
          INSERT INTO follow_counts (user_id, following) VALUES (${userId}, GREATEST(${delta}::int, 0))
          ON CONFLICT (user_id) DO UPDATE SET following = follow_counts.following + ${delta}::int`;
      } else {
        await tx.$executeRaw`
          INSERT INTO follow_counts (user_id, followers) VALUES (${userId}, GREATEST(${delta}::int, 0))
          ON CONFLICT (user_id) DO UPDATE SET followers = follow_counts.followers + ${delta}::int`;
      }
    }
  }

  /** Followers (`of: 'followee'`) or followed accounts (`of: 'follower'`), newest follow first. */
  async followList(
    userId: string,
    side: 'followers' | 'following',
    take: number,
    after?: Keyset,
  ): Promise<UserListRow[]> {
    const params: unknown[] = [userId, take];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = `AND (f.created_at, u.id) < ($3, $4)`;
    }
    const [mine, theirs] =
      side === 'followers' ? ['followee_id', 'follower_id'] : ['follower_id', 'followee_id'];
    return this.prisma.sql<UserListRow>(
      `SELECT u.id, u.display_name AS "displayName", f.created_at AS "createdAt"
       FROM follows f JOIN users u ON u.id = f.${theirs}
       WHERE f.${mine} = $1 ${keyset}
       ORDER BY f.created_at DESC, f.${theirs} DESC LIMIT $2`,
      params,
    );
  }

  async profile(id: string): Promise<ProfileRow | null> {
    const [row] = await this.prisma.sql<ProfileRow>(
      `SELECT u.id, u.display_name AS "displayName", u.created_at AS "createdAt",
              COALESCE(c.followers, 0) AS followers, COALESCE(c.following, 0) AS following,
              CASE WHEN a.id IS NULL THEN NULL
                   ELSE json_build_object('id', a.id, 'name', a.name, 'slug', a.slug, 'verified', a.verified) END AS artist
       FROM users u
       LEFT JOIN follow_counts c ON c.user_id = u.id
       LEFT JOIN artists a ON a.user_id = u.id
       WHERE u.id = $1`,
      [id],
    );
    return row ?? null;
  }

  async followsOf(viewer: string, target: string): Promise<{ following: boolean; followedBy: boolean }> {
    const rows = await this.prisma.sql<{ followerId: string }>(
      `SELECT follower_id AS "followerId" FROM follows
       WHERE (follower_id = $1 AND followee_id = $2) OR (follower_id = $2 AND followee_id = $1)`,
      [viewer, target],
    );
    return {
      following: rows.some((r) => r.followerId === viewer),
      followedBy: rows.some((r) => r.followerId === target),
    };
  }

  // ---- blocks ---------------------------------------------------------------------------------

  /** True when the block is new. */
  async insertBlock(tx: Tx, blocker: string, blocked: string, at: Date): Promise<boolean> {
    const n = await tx.$executeRaw`
      INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (${blocker}, ${blocked}, ${at})
      ON CONFLICT DO NOTHING`;
    return n > 0;
  }

  async deleteBlock(blocker: string, blocked: string): Promise<void> {
    await this.prisma
      .$executeRaw`DELETE FROM blocks WHERE blocker_id = ${blocker} AND blocked_id = ${blocked}`;
  }

  blocks(userId: string, take: number, after?: Keyset): Promise<UserListRow[]> {
    const params: unknown[] = [userId, take];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = `AND (b.created_at, u.id) < ($3, $4)`;
    }
    return this.prisma.sql<UserListRow>(
      `SELECT u.id, u.display_name AS "displayName", b.created_at AS "createdAt"
       FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.blocker_id = $1 ${keyset}
       ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT $2`,
      params,
    );
  }

  // ---- reposts --------------------------------------------------------------------------------

  async hasReposted(tx: Tx, userId: string, trackId: string): Promise<boolean> {
    const rows = await tx.$queryRaw<unknown[]>`
      SELECT 1 FROM reposts WHERE user_id = ${userId} AND track_id = ${trackId}`;
    return rows.length > 0;
  }

  async insertRepost(tx: Tx, userId: string, trackId: string, at: Date): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO reposts (user_id, track_id, created_at) VALUES (${userId}, ${trackId}, ${at})`;
  }

  async deleteRepost(userId: string, trackId: string): Promise<boolean> {
    const n = await this.prisma.$executeRaw`
      DELETE FROM reposts WHERE user_id = ${userId} AND track_id = ${trackId}`;
    return n > 0;
  }

  async repostCount(trackId: string): Promise<number> {
    const [row] = await this.prisma.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM reposts WHERE track_id = $1`,
      [trackId],
    );
    return row.n;
  }
}
