import { Injectable } from '@nestjs/common';
import { type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';

@Injectable()
export class BillingRepository {
  constructor(private readonly prisma: PrismaService) {}

  listPlans() {
    return this.prisma.plan.findMany({ orderBy: { sortOrder: 'asc' } });
  }

  userPlan(userId: string) {
    return this.prisma.user.findUnique({
      where: { id: userId },
      select: {
        planId: true,
        plan: { select: { priceCents: true } },
        subscription: { select: { status: true } },
      },
    });
  }

  findPlan(id: string) {
    return this.prisma.plan.findUnique({ where: { id } });
  }

  /** Returns the previous plan id, or null when the user does not exist. */
  async setUserPlan(tx: Tx, userId: string, planId: string, now: Date): Promise<string | null> {
    const rows = await tx.query<{ previous: string }>(
      `
      UPDATE users u SET plan_id = $1, updated_at = $2, version = u.version + 1
      FROM users old WHERE old.id = u.id AND u.id = $3
      RETURNING old.plan_id AS previous`,
      [planId, now, userId],
    );
    return rows[0]?.previous ?? null;
  }
}
