import { Injectable } from '@nestjs/common';
import type { BackstageRequest, BackstageRequestStatus } from '@prisma/client';
import { newId } from '../../platform/ids';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import type { BackstageType } from './dto/backstage.dto';

/**
 * A request's columns as Prisma's model has them: camelCase, and `type` with Prisma's names for
 * the enum's values (`become_artist`; the database has `become-artist`).
 */
const COLUMNS = `id, user_id AS "userId", replace(type::text, '-', '_') AS type, status,
  first_name AS "firstName", last_name AS "lastName", beats_link AS "beatsLink", artist_id AS "artistId",
  message, decided_by AS "decidedBy", decided_at AS "decidedAt", decision_notes AS "decisionNotes",
  created_at AS "createdAt"`;

@Injectable()
export class BackstageRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** The user's pending request if any, else their latest revoked one: what blocks a new request. */
  async blocking(userId: string, tx?: Tx): Promise<Pick<BackstageRequest, 'id' | 'status'> | null> {
    // at most one is pending (partial unique index)
    const rows = await (tx ?? this.db).query<Pick<BackstageRequest, 'id' | 'status'>>(
      `SELECT id, status FROM backstage_requests
       WHERE user_id = $1 AND status IN ('pending', 'revoked')
       ORDER BY status = 'pending' DESC, created_at DESC
       LIMIT 1`,
      [userId],
    );
    return rows[0] ?? null;
  }

  /** Inserts a pending request; null when the one-pending-per-user index says one already exists. */
  async create(
    tx: Tx,
    data: {
      userId: string;
      type: BackstageType;
      firstName: string;
      lastName: string;
      beatsLink: string | null;
      artistId: string | null;
      message: string | null;
      at: Date;
    },
  ): Promise<BackstageRequest | null> {
    const { at, ...rest } = data;
    const rows = await tx.query<BackstageRequest>(
      `
      INSERT INTO backstage_requests (id, user_id, type, status, first_name, last_name, beats_link, artist_id, message, created_at)
      VALUES ($1, $2, $3::backstage_request_type, 'pending',
              $4, $5, $6, $7, $8, $9)
      ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
      RETURNING ${COLUMNS}`,
      [
        newId('bsr'),
        rest.userId,
        rest.type,
        rest.firstName,
        rest.lastName,
        rest.beatsLink,
        rest.artistId,
        rest.message,
        at,
      ],
    );
    return rows[0] ?? null;
  }

  /** The request, locked for the rest of the transaction (admin decisions take turns). */
  async lock(tx: Tx, id: string): Promise<BackstageRequest | null> {
    const rows = await tx.query<BackstageRequest>(
      `SELECT ${COLUMNS} FROM backstage_requests WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Moves a request from one of `from` to `to`, atomically: the update matches only while the
   * status is still one of `from`, so two admins deciding at once cannot both succeed.
   */
  async decide(
    tx: Tx,
    id: string,
    from: BackstageRequestStatus[],
    to: BackstageRequestStatus,
    decision: { by: string; notes: string | null; at: Date },
  ): Promise<BackstageRequest | null> {
    const rows = await tx.query<BackstageRequest>(
      `UPDATE backstage_requests
       SET status = $3::backstage_request_status, decided_by = $4, decision_notes = $5, decided_at = $6
       WHERE id = $1 AND status = ANY($2::backstage_request_status[])
       RETURNING ${COLUMNS}`,
      [id, from, to, decision.by, decision.notes, decision.at],
    );
    return rows[0] ?? null;
  }

  listOwn(userId: string, take: number, after?: Keyset): Promise<BackstageRequest[]> {
    return this.prisma.backstageRequest.findMany({
      where: { userId, ...olderThan(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  list(
    status: BackstageRequestStatus | undefined,
    take: number,
    after?: Keyset,
  ): Promise<BackstageRequest[]> {
    return this.prisma.backstageRequest.findMany({
      where: { ...(status ? { status } : {}), ...olderThan(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }
}
