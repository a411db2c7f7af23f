import { Injectable, Logger } from '@nestjs/common';
import type { Subscription, SubscriptionRequest, SubscriptionStatus } from '@prisma/client';
import Stripe from 'stripe';
import type { Principal } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppError, isAppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdempotencyErrors } from '../../platform/idempotency/idempotency.errors';
import { paymentError, stripeUnreachable } from '../../platform/payments/payment-errors';
import { fieldOf, idOf } from '../../platform/payments/stripe-fields';
import { StripeClient } from '../../platform/payments/stripe.client';
import type { Tx } from '../../platform/database/database';
import { BillingErrors } from './billing.errors';
import { BillingService, toPlanDto } from './billing.service';
import type { SubscribeDto, SubscriptionDto } from './dto/subscription.dto';
import { type LockedUser, type SubscriptionFacts, SubscriptionsRepository } from './subscriptions.repository';

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

/** A claim younger than this is a request still running; an older one died and may be resumed. */
const LEASE_SECONDS = 120;

/** The current period's end: the first item's (API 2025-03-31 and later), else the subscription's (before). */
const periodEnd = (s: Stripe.Subscription): Date | null => {
  const item: Stripe.SubscriptionItem | undefined = s.items?.data?.[0];
  const end = item?.current_period_end ?? fieldOf(s, 'current_period_end');
  return typeof end === 'number' && Number.isSafeInteger(end) ? new Date(end * 1000) : null;
};

const live = (s: Subscription | null | undefined): s is Subscription => !!s && s.status !== 'canceled';

const unknownSubscription = (why: string) =>
  new AppError(GeneralErrors.badRequest, { message: `Not a subscription of ours: ${why}.` });

/** Stripe's answer is final (nothing was created), as opposed to Stripe being unreachable. */
const isDefinitive = (err: unknown): boolean =>
  isAppError(err) ||
  (err instanceof Stripe.errors.StripeError &&
    typeof err.statusCode === 'number' &&
    err.statusCode >= 400 &&
    err.statusCode < 500 &&
    err.statusCode !== 409 &&
    err.statusCode !== 429);

type Decision = Pick<SubscriptionRequest, 'action' | 'planId' | 'paymentMethod' | 'subscriptionId'>;

/**
 * Subscriptions to the paid plans. Every change asked of Stripe (subscribe, switch, cancel) is
 * first claimed in the database — one pending request per user, decided under the user's row
 * lock — and committed; then Stripe is called with the request's id as idempotency key; then the
 * answer is recorded in a second short transaction. A request that died after calling Stripe is
 * finished by Stripe's event (the new subscription carries the request id in its metadata) or by
 * the user's next request once the claim's lease ran out.
 *
 * The user's plan changes only through Stripe's subscription events for the user's *current*
 * subscription (or the admin override), through BillingService.changePlan; an event is applied
 * as Stripe has the subscription when we read it, never a state read before one already applied.
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
    if (!user) throw new AppError(GeneralErrors.badRequest);
    const sub = user.subscription;
    const pending = await this.repo.pendingRequest(userId);
    const plan = await this.billing.plan(user.planId);
    const pendingPlan =
      pending && pending.action !== 'cancel'
        ? pending.planId
        : live(sub) && sub.planId !== user.planId
          ? sub.planId
          : null;
    return {
      plan: toPlanDto(plan),
      status: sub?.status ?? 'none',
      pending_plan_id: pendingPlan,
      current_period_end: sub?.currentPeriodEnd?.toISOString() ?? null,
      cancel_at_period_end: sub?.cancelAtPeriodEnd ?? false,
    };
  }

  /**
   * Checks, in order: plan_not_found, free_plan_no_payment, already_subscribed (the plan is the
   * user's already, by a subscription or the admin override, or a subscription to it waits for
   * Stripe's confirmation); a change of another kind in flight → idempotency_request_in_progress;
   * then Stripe.
   */
  async subscribe(principal: Principal, dto: SubscribeDto): Promise<SubscriptionDto> {
    const plan = await this.billing.plan(dto.plan);
    if (plan.priceCents === 0 || !plan.stripePriceId) throw new AppError(BillingErrors.freePlanNoPayment);
    const request = await this.claim(principal.userId, (user, pending) => {
      const current = user.subscription;
      if (
        user.planId === plan.id ||
        (live(current) && current.planId === plan.id) ||
        (pending?.action !== 'cancel' && pending?.planId === plan.id)
      ) {
        throw new AppError(BillingErrors.alreadySubscribed);
      }
      if (pending) return 'busy';
      return live(current)
        ? { action: 'change', planId: plan.id, paymentMethod: dto.payment_method, subscriptionId: current.id }
        : { action: 'create', planId: plan.id, paymentMethod: dto.payment_method, subscriptionId: null };
    });
    if (request) await this.execute(request);
    return this.mine(principal.userId);
  }

  /**
   * Cancels at the end of the current period: Stripe's cancel_at_period_end. The plan stays
   * until Stripe's event says the subscription ended. Without a live subscription → bad_request.
   */
  async cancel(principal: Principal): Promise<SubscriptionDto> {
    const request = await this.claim(principal.userId, (user, pending) => {
      const current = user.subscription;
      if (!live(current) && pending?.action !== 'create') {
        throw new AppError(GeneralErrors.badRequest, { message: 'You have no subscription to cancel.' });
      }
      if (pending) return 'busy';
      if (current!.cancelAtPeriodEnd) return null; // already ends at the period's end
      return { action: 'cancel', planId: null, paymentMethod: null, subscriptionId: current!.id };
    });
    if (request) await this.execute(request);
    return this.mine(principal.userId);
  }

  /**
   * Decides under the user's row lock and inserts the pending request (the claim), committed
   * before Stripe is called. `decide` throws the rule's error, answers 'busy' when another
   * request is pending, or null when nothing is to be done.
   */
  private async claim(
    userId: string,
    decide: (user: LockedUser, pending: SubscriptionRequest | null) => Decision | 'busy' | null,
    resumed = false,
  ): Promise<SubscriptionRequest | null> {
    const now = this.clock.now();
    const leasedBefore = addSeconds(now, -LEASE_SECONDS);
    const outcome = await this.repo.transaction(async (tx) => {
      const user = await this.repo.lockUser(tx, userId);
      if (!user) throw new AppError(GeneralErrors.badRequest);
      const pending = await this.repo.pendingRequest(userId, tx);
      if (pending && !resumed && pending.updatedAt < leasedBefore) return { stale: pending };
      const decision = decide(user, pending);
      if (decision === 'busy') return { busy: true };
      if (decision === null) return {};
      const request = await this.repo.insertRequest(tx, { userId, ...decision, at: now });
      return request ? { request } : { busy: true };
    });
    if (outcome.stale) {
      // the request that claimed it died: finish it (same idempotency key), then decide again
      const stale = outcome.stale;
      if (await this.repo.renewRequest(stale.id, leasedBefore, now)) {
        await this.execute(stale).catch((err: unknown) =>
          this.logger.warn(`resuming subscription request ${stale.id}: ${(err as Error).message}`),
        );
      }
      return this.claim(userId, decide, true);
    }
    if (!outcome.busy) return outcome.request ?? null;
    throw new AppError(IdempotencyErrors.requestInProgress, {
      message: 'Another change to this subscription is still being processed. Retry in a moment.',
    });
  }

  /** Calls Stripe for a committed claim (no transaction open), then records the answer. */
  private async execute(request: SubscriptionRequest): Promise<void> {
    const idempotencyKey = `subscription-request:${request.id}`;
    try {
      const row = request.subscriptionId ? (await this.repo.request(request.id))?.subscription : null;
      if (request.action === 'create') {
        const plan = await this.billing.plan(request.planId!);
        const customerId = await this.customer(request.userId);
        const sub = await this.stripe.api.subscriptions.create(
          {
            customer: customerId,
            items: [{ price: plan.stripePriceId! }],
            default_payment_method: request.paymentMethod!,
            payment_behavior: 'error_if_incomplete',
            metadata: { user_id: request.userId, plan_id: plan.id, request_id: request.id },
          },
          { idempotencyKey },
        );
        await this.repo.transaction(async (tx) => {
          await this.repo.lockUser(tx, request.userId);
          await this.attachCreated(tx, request, customerId, sub);
        });
      } else if (request.action === 'change') {
        const plan = await this.billing.plan(request.planId!);
        const existing = await this.stripe.api.subscriptions.retrieve(row!.stripeSubscriptionId);
        await this.stripe.api.subscriptions.update(
          row!.stripeSubscriptionId,
          {
            items: [{ id: existing.items.data[0].id, price: plan.stripePriceId! }],
            default_payment_method: request.paymentMethod!,
            proration_behavior: 'create_prorations',
            metadata: { user_id: request.userId, plan_id: plan.id, request_id: request.id },
          },
          { idempotencyKey },
        );
        await this.repo.transaction(async (tx) => {
          await this.repo.lockUser(tx, request.userId);
          // Stripe bills the new price from now on; its event confirms it (and changes the plan)
          await this.repo.updateSubscription(tx, row!.id, { planId: plan.id, at: this.clock.now() });
          await this.repo.finishRequest(tx, request.id, { status: 'done', at: this.clock.now() });
        });
      } else {
        await this.stripe.api.subscriptions.update(
          row!.stripeSubscriptionId,
          { cancel_at_period_end: true },
          { idempotencyKey },
        );
        await this.repo.transaction(async (tx) => {
          await this.repo.lockUser(tx, request.userId);
          await this.repo.updateSubscription(tx, row!.id, { cancelAtPeriodEnd: true, at: this.clock.now() });
          await this.repo.finishRequest(tx, request.id, { status: 'done', at: this.clock.now() });
        });
      }
    } catch (err) {
      const error = paymentError(err, 'create');
      // Stripe refused: nothing exists there, the user may try again. Unreachable: the claim
      // stays pending, to be finished by Stripe's event or resumed after its lease.
      if (isDefinitive(err)) {
        await this.repo.finishRequest(undefined, request.id, {
          status: 'failed',
          error: error.code,
          at: this.clock.now(),
        });
      }
      throw error;
    }
  }

  /** The user's Stripe customer, created once (Stripe idempotency key per user). */
  private async customer(userId: string): Promise<string> {
    const user = (await this.repo.user(userId))!;
    if (user.stripeCustomerId) return user.stripeCustomerId;
    const customer = await this.stripe.api.customers.create(
      { email: user.email, metadata: { user_id: user.id } },
      { idempotencyKey: `customer:${user.id}` },
    );
    return this.repo.setCustomer(user.id, customer.id);
  }

  /**
   * Records the subscription a create request made and makes it the user's current one, once
   * (by the request, or by Stripe's event when that came first). Under the user's row lock.
   */
  private async attachCreated(
    tx: Tx,
    request: Pick<SubscriptionRequest, 'id' | 'userId' | 'planId'>,
    customerId: string,
    sub: Stripe.Subscription,
  ): Promise<Subscription> {
    const row = await this.repo.insertSubscription(tx, {
      userId: request.userId,
      customerId,
      stripeSubscriptionId: sub.id,
      planId: request.planId!,
      // pending until Stripe's event confirms it: the plan is not changed here
      status: 'incomplete',
      currentPeriodEnd: periodEnd(sub),
      cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
      at: this.clock.now(),
    });
    if (
      await this.repo.finishRequest(tx, request.id, {
        status: 'done',
        subscriptionId: row.id,
        at: this.clock.now(),
      })
    ) {
      await this.repo.setCurrent(tx, request.userId, row.id);
    }
    return row;
  }

  /**
   * The subscription as Stripe has it now, read outside any transaction (Stripe's advice for
   * webhooks: fetch the object). Null when Stripe does not know it.
   */
  async fetch(subscriptionId: string): Promise<Stripe.Subscription | null> {
    try {
      return await this.stripe.api.subscriptions.retrieve(subscriptionId);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeError && err.statusCode === 404) return null;
      throw stripeUnreachable(err) ?? err;
    }
  }

  /**
   * Applies a subscription read from Stripe at `readAt`, inside the webhook's transaction.
   * Refuses (bad_request, nothing written) a subscription that is not ours: unknown to us and not
   * made by one of our pending requests, or of another customer than the one we recorded. A state
   * read before the last applied one is skipped. Only the user's current subscription moves the
   * user's plan.
   */
  async applySubscription(tx: Tx, sub: Stripe.Subscription, readAt: Date): Promise<void> {
    const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer?.id;
    if (!customerId) throw unknownSubscription('no customer');
    const known = await this.repo.byStripeId(sub.id, tx);
    const requestId = typeof sub.metadata?.request_id === 'string' ? sub.metadata.request_id : null;
    const request = !known && requestId ? await this.repo.request(requestId, tx) : null;
    const userId = known?.userId ?? request?.userId;
    if (!userId) throw unknownSubscription('unknown subscription');

    const user = (await this.repo.lockUser(tx, userId))!;
    let row = known ? await this.repo.lockSubscription(tx, known.id) : null;
    if (!row) {
      // made by a request that has not recorded Stripe's answer (yet, or ever: it died)
      if (
        request?.status !== 'pending' ||
        request.action !== 'create' ||
        user.stripeCustomerId !== customerId
      ) {
        throw unknownSubscription('unknown subscription');
      }
      row = await this.attachCreated(tx, request, customerId, sub);
    }
    if (row.stripeCustomerId !== customerId) throw unknownSubscription('another customer');
    const priceId = sub.items?.data?.[0]?.price?.id;
    const plan = priceId ? await this.repo.planByPrice(priceId, tx) : null;
    if (!plan) throw unknownSubscription('unknown price');
    if (row.lastEventAt && readAt < row.lastEventAt) return;

    const facts: SubscriptionFacts = {
      planId: plan.id,
      status: STATUS[sub.status] ?? 'incomplete',
      currentPeriodEnd: periodEnd(sub),
      cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
    };
    await this.repo.updateSubscription(tx, row.id, { ...facts, lastEventAt: readAt, at: this.clock.now() });
    const currentId = (await this.repo.lockUser(tx, userId))!.subscription?.id;
    if (currentId !== row.id) {
      this.logger.log(`event of ${sub.id}, not ${userId}'s current subscription: the plan is left alone`);
      return;
    }
    if (facts.status === 'active') await this.billing.changePlan(tx, userId, plan.id);
    if (facts.status === 'canceled') await this.billing.changePlan(tx, userId, 'explorer');
  }

  /**
   * The subscription an invoice belongs to (invoice.payment_failed, the event's object as sent),
   * or null: `parent.subscription_details.subscription` (API 2025-03-31 and later), else
   * `subscription` (before).
   */
  static invoiceSubscription(invoice: Readonly<Record<string, unknown>>): string | null {
    const ref =
      fieldOf(fieldOf(invoice.parent, 'subscription_details'), 'subscription') ?? invoice.subscription;
    return idOf(ref);
  }
}
