import { Injectable } from '@nestjs/common';
import type {
  Subscription,
  SubscriptionRequest,
  SubscriptionRequestAction,
  SubscriptionStatus,
} from '@prisma/client';
import { newId } from '../../platform/ids';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

/** What a subscription request is decided on, read under the user's row lock. */
export interface LockedUser {
  id: string;
  planId: string;
  stripeCustomerId: string | null;
  subscription: Subscription | null;
}

/** Stripe's view of a subscription, as applied to our row. */
export interface SubscriptionFacts {
  planId: string;
  status: SubscriptionStatus;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  user(userId: string) {
    return this.prisma.user.findUnique({
      where: { id: userId },
      select: { id: true, email: true, planId: true, stripeCustomerId: true, subscription: true },
    });
  }

  pendingRequest(userId: string, tx?: Tx): Promise<SubscriptionRequest | null> {
    return (tx ?? this.prisma).subscriptionRequest.findFirst({ where: { userId, status: 'pending' } });
  }

  /**
   * Locks the user's row for the rest of the transaction: every change of a user's current
   * subscription (claims, recording Stripe's answer, applying events) takes this lock first, so
   * they take turns and never deadlock.
   */
  async lockUser(tx: Tx, userId: string): Promise<LockedUser | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`;
    if (!rows[0]) return null;
    return tx.user.findUnique({
      where: { id: userId },
      select: { id: true, planId: true, stripeCustomerId: true, subscription: true },
    });
  }

  /**
   * The claim: at most one pending request per user (partial unique index). Null when another
   * is pending.
   */
  async insertRequest(
    tx: Tx,
    data: {
      userId: string;
      action: SubscriptionRequestAction;
      planId: string | null;
      paymentMethod: string | null;
      subscriptionId: string | null;
      at: Date;
    },
  ): Promise<SubscriptionRequest | null> {
    const id = newId('sbr');
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO subscription_requests
        (id, user_id, action, plan_id, payment_method, subscription_id, status, created_at, updated_at)
      VALUES (${id}, ${data.userId}, ${data.action}::subscription_request_action, ${data.planId},
              ${data.paymentMethod}, ${data.subscriptionId}, 'pending', ${data.at}, ${data.at})
      ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
      RETURNING id`;
    return rows[0] ? tx.subscriptionRequest.findUnique({ where: { id } }) : null;
  }

  request(id: string, tx?: Tx) {
    return (tx ?? this.prisma).subscriptionRequest.findUnique({
      where: { id },
      include: { subscription: true },
    });
  }

  /** Takes over a claim whose request died (its lease ran out); false when someone else did. */
  async renewRequest(id: string, leasedBefore: Date, at: Date): Promise<boolean> {
    const { count } = await this.prisma.subscriptionRequest.updateMany({
      where: { id, status: 'pending', updatedAt: { lt: leasedBefore } },
      data: { updatedAt: at },
    });
    return count === 1;
  }

  /** Ends a pending request; false when it had already ended (the webhook finished it first). */
  async finishRequest(
    tx: Tx | undefined,
    id: string,
    outcome: { status: 'done' | 'failed'; subscriptionId?: string; error?: string; at: Date },
  ): Promise<boolean> {
    const { count } = await (tx ?? this.prisma).subscriptionRequest.updateMany({
      where: { id, status: 'pending' },
      data: {
        status: outcome.status,
        subscriptionId: outcome.subscriptionId,
        error: outcome.error,
        updatedAt: outcome.at,
      },
    });
    return count === 1;
  }

  /** Sets the customer once; a concurrent request that set it first wins. Returns the one kept. */
  async setCustomer(userId: string, customerId: string): Promise<string> {
    await this.prisma.user.updateMany({
      where: { id: userId, stripeCustomerId: null },
      data: { stripeCustomerId: customerId },
    });
    return (
      await this.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { stripeCustomerId: true } })
    ).stripeCustomerId!;
  }

  planByPrice(priceId: string, tx?: Tx) {
    return (tx ?? this.prisma).plan.findUnique({ where: { stripePriceId: priceId } });
  }

  byStripeId(stripeSubscriptionId: string, tx?: Tx): Promise<Subscription | null> {
    return (tx ?? this.prisma).subscription.findUnique({ where: { stripeSubscriptionId } });
  }

  async lockSubscription(tx: Tx, id: string): Promise<Subscription | null> {
    const rows = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM subscriptions WHERE id = ${id} FOR UPDATE`;
    return rows[0] ? tx.subscription.findUnique({ where: { id } }) : null;
  }

  /** The row of a new Stripe subscription; the existing one when it was recorded already. */
  async insertSubscription(
    tx: Tx,
    data: { userId: string; customerId: string; stripeSubscriptionId: string; at: Date } & SubscriptionFacts,
  ): Promise<Subscription> {
    await tx.$executeRaw`
      INSERT INTO subscriptions
        (id, user_id, plan_id, stripe_customer_id, stripe_subscription_id, status, current_period_end,
         cancel_at_period_end, created_at, updated_at)
      VALUES (${newId('sub')}, ${data.userId}, ${data.planId}, ${data.customerId}, ${data.stripeSubscriptionId},
              ${data.status}::subscription_status, ${data.currentPeriodEnd}, ${data.cancelAtPeriodEnd},
              ${data.at}, ${data.at})
      ON CONFLICT (stripe_subscription_id) DO NOTHING`;
    return tx.subscription.findUniqueOrThrow({ where: { stripeSubscriptionId: data.stripeSubscriptionId } });
  }

  async setCurrent(tx: Tx, userId: string, subscriptionId: string): Promise<void> {
    await tx.user.update({ where: { id: userId }, data: { subscriptionId } });
  }

  async updateSubscription(
    tx: Tx,
    id: string,
    data: Partial<SubscriptionFacts> & { lastEventAt?: Date; at: Date },
  ): Promise<void> {
    const { at, ...facts } = data;
    await tx.subscription.update({ where: { id }, data: { ...facts, updatedAt: at } });
  }
}
