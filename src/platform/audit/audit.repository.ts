import { Injectable } from '@nestjs/common';
import { newId } from '../ids';
import { olderThan } from '../pagination/pagination';
import type { Db } from '../database/database';
import { PrismaService } from '../prisma/prisma.service';

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

  async record(tx: Db, e: AuditEntry): Promise<void> {
    await tx.execute(
      `INSERT INTO audit_log (id, actor_id, action, target_type, target_id, reason, data, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
      [
        newId('aud'),
        e.actorId,
        e.action,
        e.targetType,
        e.targetId,
        e.reason ?? null,
        e.data ? JSON.stringify(e.data) : null,
        e.at,
      ],
      'audit_record',
    );
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
