import { Injectable } from '@nestjs/common';
import type { Subscription, SubscriptionStatus } from '@prisma/client';
import { newId } from '../../platform/ids';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

@Injectable()
export class SubscriptionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  ofUser(userId: string, tx?: Tx): Promise<Subscription | null> {
    return (tx ?? this.prisma).subscription.findUnique({ where: { userId } });
  }

  user(userId: string) {
    return this.prisma.user.findUnique({
      where: { id: userId },
      select: { id: true, email: true, planId: true, stripeCustomerId: true },
    });
  }

  userByCustomer(customerId: string, tx: Tx) {
    return tx.user.findUnique({ where: { stripeCustomerId: customerId }, select: { id: true } });
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

  planByPrice(priceId: string, tx: Tx) {
    return tx.plan.findUnique({ where: { stripePriceId: priceId } });
  }

  async lockByStripeId(tx: Tx, stripeSubscriptionId: string): Promise<Subscription | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM subscriptions WHERE stripe_subscription_id = ${stripeSubscriptionId} FOR UPDATE`;
    return rows[0] ? tx.subscription.findUnique({ where: { id: rows[0].id } }) : null;
  }

  /** One subscription row per user: a new Stripe subscription replaces the old one's row. */
  async upsert(
    tx: Tx,
    data: {
      userId: string;
      planId: string;
      customerId: string;
      stripeSubscriptionId: string;
      status: SubscriptionStatus;
      currentPeriodEnd: Date | null;
      cancelAtPeriodEnd: boolean;
      eventAt: Date | null;
      at: Date;
    },
  ): Promise<void> {
    const values = {
      planId: data.planId,
      stripeCustomerId: data.customerId,
      stripeSubscriptionId: data.stripeSubscriptionId,
      status: data.status,
      currentPeriodEnd: data.currentPeriodEnd,
      cancelAtPeriodEnd: data.cancelAtPeriodEnd,
      lastEventAt: data.eventAt,
      updatedAt: data.at,
    };
    await tx.subscription.upsert({
      where: { userId: data.userId },
      create: { id: newId('sub'), userId: data.userId, createdAt: data.at, ...values },
      update: values,
    });
  }

  async setStatus(
    tx: Tx,
    id: string,
    status: SubscriptionStatus,
    eventAt: Date | null,
    at: Date,
  ): Promise<void> {
    await tx.subscription.update({ where: { id }, data: { status, lastEventAt: eventAt, updatedAt: at } });
  }
}
