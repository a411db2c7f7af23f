import { Injectable } from '@nestjs/common';
import type { Keyset } from '../../platform/pagination/pagination';
import { pgErrorOf } from '../../platform/database/db-errors';
import { Database } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import type { Principal } from '../../platform/access/principal';
import { type EntrySummaryRow, entrySummaryColumns } from '../tracks/track-summary';
import { readerValues } from '../tracks/track-visibility';

export type LibraryRow = EntrySummaryRow & { trackId: string; savedAt: Date };

@Injectable()
export class LibraryRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * Saves the track unless it is saved already or the library holds `limit` items. One user's
   * saves take turns on an advisory lock (its own statement, so the count that follows sees every
   * save committed before the lock was ours); the insert counts and writes in one statement.
   */
  async save(
    userId: string,
    trackId: string,
    at: Date,
    limit: number,
  ): Promise<'saved' | 'exists' | 'full' | 'gone'> {
    return this.db
      .transaction(async (tx) => {
        await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 1001))`, [userId]);
        const [row] = await tx.query<{ saved: boolean; exists: boolean }>(
          `
        WITH ins AS (
          INSERT INTO library_items (user_id, track_id, created_at)
          SELECT $1, $2, $3
          WHERE (SELECT count(*) FROM library_items WHERE user_id = $1) < $4::int
          ON CONFLICT (user_id, track_id) DO NOTHING
          RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM ins) AS saved,
               EXISTS (SELECT 1 FROM library_items WHERE user_id = $1 AND track_id = $2) AS exists`,
          [userId, trackId, at, limit],
        );
        return row.saved ? ('saved' as const) : row.exists ? ('exists' as const) : ('full' as const);
      })
      .catch((err: unknown) => {
        // the track was deleted between the visibility check and the insert
        if (pgErrorOf(err)?.code === '23503') return 'gone' as const;
        throw err;
      });
  }

  async remove(userId: string, trackId: string): Promise<boolean> {
    const rows = await this.db.query(
      'DELETE FROM library_items WHERE user_id = $1 AND track_id = $2 RETURNING 1',
      [userId, trackId],
    );
    return rows.length > 0;
  }

  /**
   * The user's library, newest first by (saved_at, track_id), with the tracks' summaries and
   * whether the user may see each; a deleted track is gone (cascade).
   */
  list(user: Principal, take: number, after?: Keyset): Promise<LibraryRow[]> {
    const [userId, admin] = readerValues(user);
    return this.db.query<LibraryRow>(
      `SELECT li.track_id AS "trackId", li.created_at AS "savedAt", ${entrySummaryColumns({ user: '$1', admin: '$5' })}
       FROM library_items li
       JOIN tracks t ON t.id = li.track_id
       LEFT JOIN artists a ON a.id = t.artist_id
       WHERE li.user_id = $1
         AND ($3::timestamptz IS NULL OR (li.created_at, li.track_id) < ($3::timestamptz, $4::text))
       ORDER BY li.created_at DESC, li.track_id DESC
       LIMIT $2`,
      [userId, take, after?.at ?? null, after?.id ?? null, admin],
      'library_list',
    );
  }

  count(userId: string): Promise<number> {
    return this.prisma.libraryItem.count({ where: { userId } });
  }
}
