import { Injectable } from '@nestjs/common';
import type {
  Plan,
  Subscription,
  SubscriptionRequest,
  SubscriptionRequestAction,
  SubscriptionStatus,
} from '@prisma/client';
import { newId } from '../../platform/ids';
import { Database, type Db, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';

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

/** The columns of each model as Prisma has them (camelCase). */
const SUBSCRIPTION_COLUMNS = `id, user_id AS "userId", plan_id AS "planId", stripe_customer_id AS "stripeCustomerId",
  stripe_subscription_id AS "stripeSubscriptionId", status, current_period_end AS "currentPeriodEnd",
  cancel_at_period_end AS "cancelAtPeriodEnd", last_event_at AS "lastEventAt", created_at AS "createdAt",
  updated_at AS "updatedAt"`;
const REQUEST_COLUMNS = `id, user_id AS "userId", action, plan_id AS "planId", payment_method AS "paymentMethod",
  subscription_id AS "subscriptionId", status, error, created_at AS "createdAt", updated_at AS "updatedAt"`;
const PLAN_COLUMNS = `id, name, price_cents AS "priceCents", currency, request_tokens_per_month AS "requestTokensPerMonth",
  radio_skips_per_hour AS "radioSkipsPerHour", sort_order AS "sortOrder", stripe_price_id AS "stripePriceId"`;

@Injectable()
export class SubscriptionsRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  user(userId: string) {
    return this.prisma.user.findUnique({
      where: { id: userId },
      select: { id: true, email: true, planId: true, stripeCustomerId: true, subscription: true },
    });
  }

  async pendingRequest(userId: string, tx?: Tx): Promise<SubscriptionRequest | null> {
    // at most one (partial unique index)
    const rows = await (tx ?? this.db).query<SubscriptionRequest>(
      `SELECT ${REQUEST_COLUMNS} FROM subscription_requests WHERE user_id = $1 AND status = 'pending' LIMIT 1`,
      [userId],
    );
    return rows[0] ?? null;
  }

  /**
   * Locks the user's row for the rest of the transaction: every change of a user's current
   * subscription (claims, recording Stripe's answer, applying events) takes this lock first, so
   * they take turns and never deadlock.
   */
  async lockUser(tx: Tx, userId: string): Promise<LockedUser | null> {
    const locked = await tx.query<{ id: string }>(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    if (!locked[0]) return null;
    const [user] = await tx.query<Omit<LockedUser, 'subscription'> & { subscriptionId: string | null }>(
      `SELECT id, plan_id AS "planId", stripe_customer_id AS "stripeCustomerId",
              current_subscription_id AS "subscriptionId"
       FROM users WHERE id = $1`,
      [userId],
    );
    const { subscriptionId, ...rest } = user;
    return { ...rest, subscription: subscriptionId ? await this.subscription(tx, subscriptionId) : null };
  }

  private async subscription(db: Db, id: string): Promise<Subscription | null> {
    const rows = await db.query<Subscription>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
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
    const rows = await tx.query<SubscriptionRequest>(
      `
      INSERT INTO subscription_requests
        (id, user_id, action, plan_id, payment_method, subscription_id, status, created_at, updated_at)
      VALUES ($1, $2, $3::subscription_request_action, $4,
              $5, $6, 'pending', $7, $7)
      ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
      RETURNING ${REQUEST_COLUMNS}`,
      [id, data.userId, data.action, data.planId, data.paymentMethod, data.subscriptionId, data.at],
    );
    return rows[0] ?? null;
  }

  async request(
    id: string,
    tx?: Tx,
  ): Promise<(SubscriptionRequest & { subscription: Subscription | null }) | null> {
    const db = tx ?? this.db;
    const [request] = await db.query<SubscriptionRequest>(
      `SELECT ${REQUEST_COLUMNS} FROM subscription_requests WHERE id = $1`,
      [id],
    );
    if (!request) return null;
    return {
      ...request,
      subscription: request.subscriptionId ? await this.subscription(db, request.subscriptionId) : null,
    };
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
    // a subscription id or error left out is left as it is
    const count = await (tx ?? this.db).execute(
      `UPDATE subscription_requests
       SET status = $2::subscription_request_status, subscription_id = COALESCE($3, subscription_id),
           error = COALESCE($4, error), updated_at = $5
       WHERE id = $1 AND status = 'pending'`,
      [id, outcome.status, outcome.subscriptionId ?? null, outcome.error ?? null, outcome.at],
    );
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

  async planByPrice(priceId: string, tx?: Tx): Promise<Plan | null> {
    const rows = await (tx ?? this.db).query<Plan>(
      `SELECT ${PLAN_COLUMNS} FROM plans WHERE stripe_price_id = $1`,
      [priceId],
    );
    return rows[0] ?? null;
  }

  async byStripeId(stripeSubscriptionId: string, tx?: Tx): Promise<Subscription | null> {
    const rows = await (tx ?? this.db).query<Subscription>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE stripe_subscription_id = $1`,
      [stripeSubscriptionId],
    );
    return rows[0] ?? null;
  }

  async lockSubscription(tx: Tx, id: string): Promise<Subscription | null> {
    const rows = await tx.query<Subscription>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** The row of a new Stripe subscription; the existing one when it was recorded already. */
  async insertSubscription(
    tx: Tx,
    data: { userId: string; customerId: string; stripeSubscriptionId: string; at: Date } & SubscriptionFacts,
  ): Promise<Subscription> {
    await tx.execute(
      `
      INSERT INTO subscriptions
        (id, user_id, plan_id, stripe_customer_id, stripe_subscription_id, status, current_period_end,
         cancel_at_period_end, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5,
              $6::subscription_status, $7, $8,
              $9, $9)
      ON CONFLICT (stripe_subscription_id) DO NOTHING`,
      [
        newId('sub'),
        data.userId,
        data.planId,
        data.customerId,
        data.stripeSubscriptionId,
        data.status,
        data.currentPeriodEnd,
        data.cancelAtPeriodEnd,
        data.at,
      ],
    );
    const row = await this.byStripeId(data.stripeSubscriptionId, tx);
    if (!row) throw new Error(`subscription ${data.stripeSubscriptionId} neither inserted nor found`);
    return row;
  }

  /** Under the user's row lock (`lockUser`): the row is there. */
  async setCurrent(tx: Tx, userId: string, subscriptionId: string): Promise<void> {
    await tx.execute('UPDATE users SET current_subscription_id = $2 WHERE id = $1', [userId, subscriptionId]);
  }

  async updateSubscription(
    tx: Tx,
    id: string,
    data: Partial<SubscriptionFacts> & { lastEventAt?: Date; at: Date },
  ): Promise<void> {
    const params: unknown[] = [id, data.at];
    const sets = ['updated_at = $2'];
    // a fact left out (undefined) is left as it is; null is a value (no period end)
    const set = (column: string, value: unknown, cast = ''): void => {
      if (value === undefined) return;
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    set('plan_id', data.planId);
    set('status', data.status, '::subscription_status');
    set('current_period_end', data.currentPeriodEnd);
    set('cancel_at_period_end', data.cancelAtPeriodEnd);
    set('last_event_at', data.lastEventAt);
    const count = await tx.execute(`UPDATE subscriptions SET ${sets.join(', ')} WHERE id = $1`, params);
    if (count !== 1) throw new Error(`subscription ${id} not found`);
  }
}
