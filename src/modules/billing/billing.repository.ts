import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

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
    const rows = await tx.$queryRaw<{ previous: string }[]>`
      UPDATE users u SET plan_id = ${planId}, updated_at = ${now}, version = u.version + 1
      FROM users old WHERE old.id = u.id AND u.id = ${userId}
      RETURNING old.plan_id AS previous`;
    return rows[0]?.previous ?? null;
  }
}
