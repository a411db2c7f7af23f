import { Injectable } from '@nestjs/common';
import type { Plan } from '@prisma/client';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import type { Tx } from '../../platform/database/database';
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

  /** What the user's plan entitles them to now. */
  async entitlement(userId: string): Promise<{ planId: string; paid: boolean; pastDue: boolean }> {
    const user = await this.repo.userPlan(userId);
    if (!user) throw new AppError(AccountsErrors.userNotFound);
    return {
      planId: user.planId,
      paid: user.plan.priceCents > 0,
      pastDue: user.subscription?.status === 'past_due',
    };
  }

  /**
   * The one way a user's plan changes (Stripe subscription webhooks, admin override), inside the
   * caller's transaction. Returns the previous plan id.
   */
  async changePlan(tx: Tx, userId: string, planId: string): Promise<string> {
    await this.plan(planId);
    const previous = await this.repo.setUserPlan(tx, userId, planId, this.clock.now());
    if (previous === null) throw new AppError(AccountsErrors.userNotFound);
    if (previous !== planId) for (const listener of this.planListeners) await listener(tx, userId, planId);
    return previous;
  }

  private readonly planListeners: ((tx: Tx, userId: string, planId: string) => Promise<void>)[] = [];

  /** Modules that must follow plan changes (the request-token budget) register here. */
  onPlanChange(listener: (tx: Tx, userId: string, planId: string) => Promise<void>): void {
    this.planListeners.push(listener);
  }
}
