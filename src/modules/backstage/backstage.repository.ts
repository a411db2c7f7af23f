import { Injectable } from '@nestjs/common';
import type { BackstageRequest, BackstageRequestStatus } from '@prisma/client';
import { newId } from '../../platform/ids';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';
import type { BackstageType } from './dto/backstage.dto';

@Injectable()
export class BackstageRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** The user's pending request if any, else their latest revoked one: what blocks a new request. */
  async blocking(userId: string, tx?: Tx): Promise<Pick<BackstageRequest, 'id' | 'status'> | null> {
    const db = tx ?? this.prisma;
    return (
      (await db.backstageRequest.findFirst({
        where: { userId, status: 'pending' },
        select: { id: true, status: true },
      })) ??
      (await db.backstageRequest.findFirst({
        where: { userId, status: 'revoked' },
        select: { id: true, status: true },
        orderBy: { createdAt: 'desc' },
      }))
    );
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
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO backstage_requests (id, user_id, type, status, first_name, last_name, beats_link, artist_id, message, created_at)
      VALUES (${newId('bsr')}, ${rest.userId}, ${rest.type}::backstage_request_type, 'pending',
              ${rest.firstName}, ${rest.lastName}, ${rest.beatsLink}, ${rest.artistId}, ${rest.message}, ${at})
      ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
      RETURNING id`;
    return rows.length ? tx.backstageRequest.findUnique({ where: { id: rows[0].id } }) : null;
  }

  /** The request, locked for the rest of the transaction (admin decisions take turns). */
  async lock(tx: Tx, id: string): Promise<BackstageRequest | null> {
    const rows = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM backstage_requests WHERE id = ${id} FOR UPDATE`;
    return rows.length ? tx.backstageRequest.findUnique({ where: { id } }) : null;
  }

  find(id: string, tx?: Tx): Promise<BackstageRequest | null> {
    return (tx ?? this.prisma).backstageRequest.findUnique({ where: { id } });
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
    const { count } = await tx.backstageRequest.updateMany({
      where: { id, status: { in: from } },
      data: { status: to, decidedBy: decision.by, decisionNotes: decision.notes, decidedAt: decision.at },
    });
    return count ? tx.backstageRequest.findUnique({ where: { id } }) : null;
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
