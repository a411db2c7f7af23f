import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '../../platform/database/database';
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
  constructor(private readonly db: Database) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** Serialises every change between two users for the rest of the transaction. */
  async lockPair(tx: Tx, a: string, b: string): Promise<void> {
    const [x, y] = a < b ? [a, b] : [b, a];
    await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`pair:${x}:${y}`]);
  }

  async userExists(id: string, tx?: Tx): Promise<boolean> {
    const rows = await (tx ?? this.db).query<unknown>(`SELECT 1 FROM users WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  async blockRelation(me: string, other: string, tx?: Tx): Promise<BlockRelation> {
    const rows = await (tx ?? this.db).query<{ blockerId: string }>(
      `
      SELECT blocker_id AS "blockerId" FROM blocks
      WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)`,
      [me, other],
    );
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
    const [row] = await tx.query<{
      exists: boolean;
      iBlocked: boolean;
      blockedMe: boolean;
      following: boolean;
      count: number;
    }>(
      `
      SELECT EXISTS (SELECT 1 FROM users WHERE id = $1) AS exists,
             EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $1) AS "iBlocked",
             EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS "blockedMe",
             EXISTS (SELECT 1 FROM follows WHERE follower_id = $2 AND followee_id = $1) AS following,
             COALESCE((SELECT following FROM follow_counts WHERE user_id = $2), 0)::int AS count`,
      [followee, follower],
    );
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
    const rows = await tx.query<{ userId: string; followers: number }>(
      `
      WITH f AS (
        INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3)
        RETURNING 1
      )
      INSERT INTO follow_counts AS c (user_id, following, followers)
      SELECT u, CASE WHEN u = $1 THEN 1 ELSE 0 END, CASE WHEN u = $2 THEN 1 ELSE 0 END
      FROM f, unnest(ARRAY[$1, $2]::text[]) u
      ORDER BY u
      ON CONFLICT (user_id) DO UPDATE
        SET following = c.following + EXCLUDED.following, followers = c.followers + EXCLUDED.followers
      RETURNING c.user_id AS "userId", c.followers`,
      [follower, followee, at],
    );
    return rows.find((r) => r.userId === followee)!.followers;
  }

  /** True when there was a follow to remove. */
  async deleteFollow(tx: Tx, follower: string, followee: string): Promise<boolean> {
    const removed = await tx.execute(
      `
      DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2`,
      [follower, followee],
    );
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
        await tx.execute(
          `
          INSERT INTO follow_counts (user_id, following) VALUES ($1, GREATEST($2::int, 0))
          ON CONFLICT (user_id) DO UPDATE SET following = follow_counts.following + $2::int`,
          [userId, delta],
        );
      } else {
        await tx.execute(
          `
          INSERT INTO follow_counts (user_id, followers) VALUES ($1, GREATEST($2::int, 0))
          ON CONFLICT (user_id) DO UPDATE SET followers = follow_counts.followers + $2::int`,
          [userId, delta],
        );
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
    return this.db.query<UserListRow>(
      `SELECT u.id, u.display_name AS "displayName", f.created_at AS "createdAt"
       FROM follows f JOIN users u ON u.id = f.${theirs}
       WHERE f.${mine} = $1 ${keyset}
       ORDER BY f.created_at DESC, f.${theirs} DESC LIMIT $2`,
      params,
    );
  }

  async profile(id: string): Promise<ProfileRow | null> {
    const [row] = await this.db.query<ProfileRow>(
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
    const rows = await this.db.query<{ followerId: string }>(
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
    const n = await tx.execute(
      `
      INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3)
      ON CONFLICT DO NOTHING`,
      [blocker, blocked, at],
    );
    return n > 0;
  }

  async deleteBlock(blocker: string, blocked: string): Promise<void> {
    await this.db.execute(`DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, [blocker, blocked]);
  }

  blocks(userId: string, take: number, after?: Keyset): Promise<UserListRow[]> {
    const params: unknown[] = [userId, take];
    let keyset = '';
    if (after) {
      params.push(after.at, after.id);
      keyset = `AND (b.created_at, u.id) < ($3, $4)`;
    }
    return this.db.query<UserListRow>(
      `SELECT u.id, u.display_name AS "displayName", b.created_at AS "createdAt"
       FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.blocker_id = $1 ${keyset}
       ORDER BY b.created_at DESC, b.blocked_id DESC LIMIT $2`,
      params,
    );
  }

  // ---- reposts --------------------------------------------------------------------------------

  async hasReposted(tx: Tx, userId: string, trackId: string): Promise<boolean> {
    const rows = await tx.query<unknown>(
      `
      SELECT 1 FROM reposts WHERE user_id = $1 AND track_id = $2`,
      [userId, trackId],
    );
    return rows.length > 0;
  }

  async insertRepost(tx: Tx, userId: string, trackId: string, at: Date): Promise<void> {
    await tx.execute(
      `
      INSERT INTO reposts (user_id, track_id, created_at) VALUES ($1, $2, $3)`,
      [userId, trackId, at],
    );
  }

  async deleteRepost(userId: string, trackId: string): Promise<boolean> {
    const n = await this.db.execute(
      `
      DELETE FROM reposts WHERE user_id = $1 AND track_id = $2`,
      [userId, trackId],
    );
    return n > 0;
  }

  async repostCount(trackId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM reposts WHERE track_id = $1`,
      [trackId],
    );
    return row.n;
  }
}
