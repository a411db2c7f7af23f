import { Injectable } from '@nestjs/common';
import type { Plan } from '@prisma/client';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import type { Tx } from '../../platform/prisma/prisma.service';
import { AccountsErrors } from '../accounts/accounts.errors';
import { BillingErrors } from './billing.errors';
import { BillingRepository } from './billing.repository';
import type { PlanDto } from './dto/plan.dto';

export const toPlanDto = (p: Plan): PlanDto => ({
  id: p.id,
  name: p.name,
  price_cents: p.priceCents,
  currency: p.currency,
  request_tokens_per_month: p.requestTokensPerMonth,
  radio_skips_per_hour: p.radioSkipsPerHour,
});

@Injectable()
export class BillingService {
  constructor(
    private readonly repo: BillingRepository,
    private readonly clock: Clock,
  ) {}

  async plans(): Promise<PlanDto[]> {
    return (await this.repo.listPlans()).map(toPlanDto);
  }

  async plan(id: string): Promise<Plan> {
    const plan = await this.repo.findPlan(id);
    if (!plan) throw new AppError(BillingErrors.planNotFound);
    return plan;
  }

  /**
   * The one way a user's plan changes (Stripe subscription webhooks, admin override), inside the
   * caller's transaction. Returns the previous plan id.
   */
  async changePlan(tx: Tx, userId: string, planId: string): Promise<string> {
    await this.plan(planId);
    const previous = await this.repo.setUserPlan(tx, userId, planId, this.clock.now());
    if (previous === null) throw new AppError(AccountsErrors.userNotFound);
    return previous;
  }
}
