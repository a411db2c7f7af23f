import { Injectable } from '@nestjs/common';
import { Prisma, type BeatRequest } from '@prisma/client';
import { newId } from '../../platform/ids';
import type { Keyset } from '../../platform/pagination/pagination';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

export type BeatRequestRow = BeatRequest & { _count: { submissions: number } };
const WITH_COUNT = { _count: { select: { submissions: true } } } as const;

@Injectable()
export class BeatRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async create(tx: Tx, data: Omit<Prisma.BeatRequestUncheckedCreateInput, 'id'>): Promise<BeatRequest> {
    return tx.beatRequest.create({ data: { id: newId('req'), ...data } });
  }

  find(id: string, tx?: Tx): Promise<BeatRequestRow | null> {
    return (tx ?? this.prisma).beatRequest.findUnique({ where: { id }, include: WITH_COUNT });
  }

  /** The request, locked for the rest of the transaction (its submissions and renewals take turns). */
  async lock(tx: Tx, id: string): Promise<BeatRequest | null> {
    const rows = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM beat_requests WHERE id = ${id} FOR UPDATE`;
    return rows.length ? tx.beatRequest.findUnique({ where: { id } }) : null;
  }

  list(
    filter: { status: 'active' | 'expired'; ownerId?: string; now: Date },
    take: number,
    after?: Keyset,
  ): Promise<BeatRequestRow[]> {
    return this.prisma.beatRequest.findMany({
      where: {
        expiresAt: filter.status === 'active' ? { gt: filter.now } : { lte: filter.now },
        ...(filter.ownerId ? { ownerId: filter.ownerId } : {}),
        ...(after
          ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] }
          : {}),
      },
      include: WITH_COUNT,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.beatRequest.delete({ where: { id } });
  }

  async renew(tx: Tx, id: string, expiresAt: Date, at: Date): Promise<void> {
    await tx.beatRequest.update({
      where: { id },
      data: { expiresAt, renewals: { increment: 1 }, updatedAt: at },
    });
  }

  // ---- submissions ------------------------------------------------------------------------------

  async isSubmitted(tx: Tx, requestId: string, trackId: string): Promise<boolean> {
    return !!(await tx.submission.findUnique({
      where: { requestId_trackId: { requestId, trackId } },
      select: { id: true },
    }));
  }

  countByProducer(tx: Tx, requestId: string, producerId: string): Promise<number> {
    return tx.submission.count({ where: { requestId, producerId } });
  }

  async submittedTracks(tx: Tx, requestId: string): Promise<string[]> {
    return (await tx.submission.findMany({ where: { requestId }, select: { trackId: true } })).map(
      (s) => s.trackId,
    );
  }

  createSubmission(tx: Tx, data: { requestId: string; trackId: string; producerId: string; at: Date }) {
    return tx.submission.create({
      data: {
        id: newId('sbm'),
        requestId: data.requestId,
        trackId: data.trackId,
        producerId: data.producerId,
        createdAt: data.at,
      },
      include: { track: { select: { title: true } } },
    });
  }

  submissions(requestId: string, producerId: string | undefined, take: number, after?: Keyset) {
    return this.prisma.submission.findMany({
      where: {
        requestId,
        ...(producerId ? { producerId } : {}),
        ...(after
          ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] }
          : {}),
      },
      include: { track: { select: { title: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }
}
