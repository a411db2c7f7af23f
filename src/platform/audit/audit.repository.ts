import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { newId } from '../ids';
import { olderThan } from '../pagination/pagination';
import { PrismaService, type Tx } from '../prisma/prisma.service';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  reason?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

/**
 * Who did what to whom, when and why. Written inside the transaction of the change it records,
 * so the log and the data never disagree.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(tx: Tx, e: AuditEntry): Promise<void> {
    await tx.auditLog.create({
      data: {
        id: newId('aud'),
        actorId: e.actorId,
        action: e.action,
        targetType: e.targetType,
        targetId: e.targetId,
        reason: e.reason ?? null,
        data: e.data ? (e.data as Prisma.InputJsonValue) : Prisma.JsonNull,
        createdAt: e.at,
      },
    });
  }

  list(
    filter: { targetId?: string; actorId?: string; action?: string },
    take: number,
    after?: { at: Date; id: string },
  ) {
    return this.prisma.auditLog.findMany({
      where: {
        ...(filter.targetId ? { targetId: filter.targetId } : {}),
        ...(filter.actorId ? { actorId: filter.actorId } : {}),
        ...(filter.action ? { action: filter.action } : {}),
        ...olderThan(after),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }
}
