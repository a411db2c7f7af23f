import { Injectable, Logger } from '@nestjs/common';
import type { SubscriptionStatus } from '@prisma/client';
import type Stripe from 'stripe';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { paymentError } from '../../platform/payments/payment-errors';
import { StripeClient } from '../../platform/payments/stripe.client';
import type { Tx } from '../../platform/prisma/prisma.service';
import { BillingErrors } from './billing.errors';
import { BillingService, toPlanDto } from './billing.service';
import type { SubscribeDto, SubscriptionDto } from './dto/subscription.dto';
import { SubscriptionsRepository } from './subscriptions.repository';

const STATUS: Record<string, SubscriptionStatus> = {
  active: 'active',
  trialing: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  incomplete: 'incomplete',
  incomplete_expired: 'canceled',
  canceled: 'canceled',
  paused: 'past_due',
};

const periodEnd = (s: Stripe.Subscription): Date | null => {
  const item = s.items?.data?.[0] as (Stripe.SubscriptionItem & { current_period_end?: number }) | undefined;
  const end =
    item?.current_period_end ?? (s as unknown as { current_period_end?: number }).current_period_end;
  return end ? new Date(end * 1000) : null;
};

/**
 * Subscriptions to the paid plans. Subscribing creates the Stripe customer and subscription;
 * the user's plan changes only when Stripe's subscription events arrive (or by an admin
 * override), through BillingService.changePlan.
 */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger(SubscriptionsService.name);

  constructor(
    private readonly repo: SubscriptionsRepository,
    private readonly billing: BillingService,
    private readonly stripe: StripeClient,
    private readonly clock: Clock,
  ) {}

  async mine(userId: string): Promise<SubscriptionDto> {
    const user = await this.repo.user(userId);
    const sub = await this.repo.ofUser(userId);
    const plan = await this.billing.plan(user!.planId);
    return {
      plan: toPlanDto(plan),
      status: sub?.status ?? 'none',
      pending_plan_id: sub && sub.planId !== user!.planId && sub.status !== 'canceled' ? sub.planId : null,
      current_period_end: sub?.currentPeriodEnd?.toISOString() ?? null,
      cancel_at_period_end: sub?.cancelAtPeriodEnd ?? false,
    };
  }

  /** Checks, in order: plan_not_found, free_plan_no_payment, already_subscribed; then Stripe. */
  async subscribe(
    principal: Principal,
    dto: SubscribeDto,
    requestKey: string | undefined,
  ): Promise<SubscriptionDto> {
    const plan = await this.billing.plan(dto.plan);
    if (plan.priceCents === 0 || !plan.stripePriceId) throw new AppError(BillingErrors.freePlanNoPayment);
    const user = (await this.repo.user(principal.userId))!;
    const current = await this.repo.ofUser(user.id);
    const live = current && current.status !== 'canceled';
    if (live && current.planId === plan.id) throw new AppError(BillingErrors.alreadySubscribed);

    const key = requestKey ?? `${Date.now()}`;
    try {
      const customerId =
        user.stripeCustomerId ??
        (await this.repo.setCustomer(
          user.id,
          (
            await this.stripe.api.customers.create(
              { email: user.email, metadata: { user_id: user.id } },
              { idempotencyKey: `customer:${user.id}` },
            )
          ).id,
        ));
      let subscription: Stripe.Subscription;
      if (live) {
        const existing = await this.stripe.api.subscriptions.retrieve(current.stripeSubscriptionId);
        subscription = await this.stripe.api.subscriptions.update(
          current.stripeSubscriptionId,
          {
            items: [{ id: existing.items.data[0].id, price: plan.stripePriceId }],
            default_payment_method: dto.payment_method,
            proration_behavior: 'create_prorations',
            metadata: { user_id: user.id, plan_id: plan.id },
          },
          { idempotencyKey: `subscription:${current.stripeSubscriptionId}:${plan.id}:${key}` },
        );
      } else {
        subscription = await this.stripe.api.subscriptions.create(
          {
            customer: customerId,
            items: [{ price: plan.stripePriceId }],
            default_payment_method: dto.payment_method,
            payment_behavior: 'error_if_incomplete',
            metadata: { user_id: user.id, plan_id: plan.id },
          },
          { idempotencyKey: `subscription:${user.id}:${plan.id}:${key}` },
        );
      }
      const now = this.clock.now();
      await this.repo.transaction((tx) =>
        this.repo.upsert(tx, {
          userId: user.id,
          planId: plan.id,
          customerId,
          stripeSubscriptionId: subscription.id,
          // pending until Stripe's event confirms it: the plan is not changed here
          status: current?.stripeSubscriptionId === subscription.id ? current.status : 'incomplete',
          currentPeriodEnd: periodEnd(subscription),
          cancelAtPeriodEnd: subscription.cancel_at_period_end ?? false,
          eventAt: current?.lastEventAt ?? null,
          at: now,
        }),
      );
    } catch (err) {
      throw paymentError(err, 'create');
    }
    return this.mine(user.id);
  }

  /**
   * customer.subscription.created|updated|deleted. Events older than the last applied are
   * ignored. Stripe stamps events to the second, so one from the same second as the last applied
   * may be older or newer: then the subscription as Stripe has it now is applied instead (a
   * failure there fails the webhook, and Stripe delivers it again).
   */
  async applySubscriptionEvent(
    tx: Tx,
    event: Stripe.Subscription,
    eventAt: Date,
    deletedEvent: boolean,
  ): Promise<void> {
    let sub = event;
    let deleted = deletedEvent;
    const existing = await this.repo.lockByStripeId(tx, sub.id);
    if (existing?.lastEventAt && existing.lastEventAt > eventAt) return;
    if (existing?.lastEventAt?.getTime() === eventAt.getTime()) {
      sub = await this.stripe.api.subscriptions.retrieve(sub.id);
      deleted = sub.status === 'canceled';
    }
    const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
    const userId =
      existing?.userId ?? sub.metadata?.user_id ?? (await this.repo.userByCustomer(customerId, tx))?.id;
    const priceId = sub.items?.data?.[0]?.price?.id;
    const plan = priceId ? await this.repo.planByPrice(priceId, tx) : null;
    if (!userId || !plan) {
      this.logger.warn(`subscription event for ${sub.id} ignored: unknown ${userId ? 'price' : 'user'}`);
      return;
    }
    const status = deleted ? 'canceled' : (STATUS[sub.status] ?? 'incomplete');
    await this.repo.upsert(tx, {
      userId,
      planId: plan.id,
      customerId,
      stripeSubscriptionId: sub.id,
      status,
      currentPeriodEnd: periodEnd(sub),
      cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
      eventAt,
      at: this.clock.now(),
    });
    if (status === 'active') await this.billing.changePlan(tx, userId, plan.id);
    if (status === 'canceled') await this.billing.changePlan(tx, userId, 'explorer');
  }

  /** invoice.payment_failed: the subscription is past due (its plan's features are held back). */
  async applyInvoiceFailed(tx: Tx, invoice: Stripe.Invoice, eventAt: Date): Promise<void> {
    const raw = invoice as unknown as {
      subscription?: string | { id: string } | null;
      parent?: { subscription_details?: { subscription?: string | { id: string } } };
    };
    const ref = raw.parent?.subscription_details?.subscription ?? raw.subscription;
    const subscriptionId = typeof ref === 'string' ? ref : ref?.id;
    if (!subscriptionId) return;
    const existing = await this.repo.lockByStripeId(tx, subscriptionId);
    if (!existing || (existing.lastEventAt && existing.lastEventAt > eventAt)) return;
    await this.repo.setStatus(tx, existing.id, 'past_due', eventAt, this.clock.now());
  }
}
