import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { JobsService } from '../../platform/jobs/jobs.service';
import { idOf } from '../../platform/payments/stripe-fields';
import { refusedByStripe } from '../../platform/payments/payment-errors';
import { StripeClient } from '../../platform/payments/stripe.client';
import { EarningsErrors } from './earnings.errors';
import { accountReady, type ClaimedTransfer, EarningsRepository } from './earnings.repository';
import { REVERSE_JOB } from './ledger';

/** a claimed transfer made at Stripe (idempotency key `transfer:<id>`): after a crash or an answer that never came */
const SEND_JOB = 'earnings.send-transfer';
/** once a day: every ready producer's available balance, per currency, as one transfer */
const DAILY_JOB = 'earnings.daily-transfers';
/** the hour (UTC, application clock) the daily job runs */
const DAILY_HOUR_UTC = 2;
/** how long Stripe keeps an idempotency key (24 h), less an hour of margin */
const KEY_LIFETIME_MS = 23 * 3600_000;
/** each claim its own transfer group at Stripe: how a transfer whose key expired is found */
const transferGroup = (transferId: string) => `earnings-transfer:${transferId}`;
/** a refused transfer waits this long, doubling per refusal (at most 64×), before the daily job tries again */
const REFUSAL_BACKOFF_SECONDS = 3600;
/** the daily job sends this many transfers at once */
const DAILY_CONCURRENCY = 8;

export type TransferOutcome = {
  id: string;
  currency: string;
  amount_cents: number;
  status: 'sent' | 'in_transit' | 'failed';
};

/**
 * Money out: a producer's available legs become one Stripe transfer per currency. The transfer
 * and its legs are claimed in the database (one transaction, with the job that finishes it),
 * Stripe is called after with the idempotency key `transfer:<id>`, and the outcome is recorded in
 * a second transaction. An answer that never came (connection cut, timeout, Stripe's 5xx) leaves
 * the transfer claimed: the job asks again with the same key, so Stripe makes it at most once.
 * A refusal returns the legs to available and backs the account off.
 */
@Injectable()
export class TransfersService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(TransfersService.name);

  constructor(
    private readonly repo: EarningsRepository,
    private readonly jobs: JobsService,
    private readonly stripe: StripeClient,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.register<{ transferId: string }>({
      name: SEND_JOB,
      handler: async (data) => void (await this.send(data.transferId, true)),
      retryLimit: 20,
      retryDelay: 10,
      retryBackoff: true,
    });
    this.jobs.register<{ reversalId: string }>({
      name: REVERSE_JOB,
      handler: (data) => this.reverse(data.reversalId),
      retryLimit: 20,
      retryDelay: 10,
      retryBackoff: true,
    });
    this.jobs.register<{ day: string }>({
      name: DAILY_JOB,
      handler: (data) => this.daily(data.day),
      retryLimit: 5,
      retryDelay: 300,
      expireInSeconds: 3 * 3600,
    });
  }

  /** Every instance queues the next daily run at boot; its key per day makes it one run. */
  async onApplicationBootstrap(): Promise<void> {
    await this.scheduleDaily().catch((err: Error) =>
      this.logger.warn(`daily transfers not queued: ${err.message}`),
    );
  }

  private async scheduleDaily(): Promise<void> {
    const now = this.clock.now();
    const next = new Date(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), DAILY_HOUR_UTC),
    );
    if (next <= now) next.setUTCDate(next.getUTCDate() + 1);
    const day = next.toISOString().slice(0, 10);
    // one job per day whoever queues it: pg-boss's singleton slot (a year long, so the key decides)
    // holds even for jobs that ran, on a queue of the standard policy
    await this.jobs.enqueue(
      DAILY_JOB,
      { day },
      {
        singletonKey: `day:${day}`,
        singletonSeconds: 365 * 86_400,
        startAfterSeconds: Math.ceil((next.getTime() - now.getTime()) / 1000),
      },
    );
  }

  /**
   * "Pay me now": the caller's available balance in every currency that reaches the minimum.
   * Checked in order: payout_account_not_ready (no account, or Stripe says it cannot receive
   * transfers), payout_below_minimum (no currency reaches LIMIT_TRANSFER_MINIMUM_CENTS — also
   * when a concurrent request just claimed it).
   */
  async payNow(userId: string): Promise<TransferOutcome[]> {
    const account = await this.repo.payoutAccount(userId);
    if (!account || !accountReady(account)) throw new AppError(EarningsErrors.payoutAccountNotReady);
    const claimed: ClaimedTransfer[] = [];
    for (const currency of await this.repo.transferableCurrencies(userId, this.clock.now())) {
      const c = await this.claim(userId, currency);
      // the account stopped being ready meanwhile (account.updated): the check under the lock
      // wins — what was claimed before goes; the rest stays available
      if (c === 'not_ready') {
        if (claimed.length) break;
        throw new AppError(EarningsErrors.payoutAccountNotReady);
      }
      if ('id' in c) claimed.push(c);
    }
    if (!claimed.length) throw new AppError(EarningsErrors.payoutBelowMinimum);
    const out: TransferOutcome[] = [];
    for (const c of claimed) {
      const status = await this.send(c, false);
      out.push({ id: c.id, currency: c.currency, amount_cents: c.amountCents, status });
    }
    return out;
  }

  /** Claims one currency's transfer, with the job that finishes it should this process stop. */
  private claim(userId: string, currency: string) {
    const now = this.clock.now();
    return this.repo.transaction(async (tx) => {
      const c = await this.repo.claimTransfer(
        tx,
        userId,
        currency,
        this.config.limits.transferMinimumCents,
        now,
      );
      if (typeof c === 'object' && 'id' in c) {
        await this.jobs.enqueue(
          SEND_JOB,
          { transferId: c.id },
          { tx, singletonKey: c.id, startAfterSeconds: 120 },
        );
      }
      return c;
    });
  }

  /**
   * Makes a claimed transfer at Stripe and records what Stripe said. `fromJob`: an unanswered
   * call throws (the job retries with the same key); from a request it answers `in_transit`.
   */
  async send(transfer: string | ClaimedTransfer, fromJob: boolean): Promise<TransferOutcome['status']> {
    // a transfer just claimed is sent as claimed; one named by a job is read first
    const t =
      typeof transfer === 'string'
        ? await this.repo.transfer(transfer)
        : { ...transfer, status: 'claimed', createdAt: this.clock.now() };
    if (!t) return 'failed';
    if (t.status === 'sent') return 'sent';
    if (t.status === 'failed') return 'failed';
    // only Stripe's answer to the transfer itself can refuse it; a failed read before it is no answer
    let asked = false;
    try {
      // Stripe keeps an idempotency key 24 hours: a claim older than that is looked up first (by
      // its own transfer group), so an answer lost a day ago is not made a second time
      const made =
        (this.clock.nowMs() - t.createdAt.getTime() > KEY_LIFETIME_MS ? await this.findMade(t) : null) ??
        (await (async () => {
          const source = t.singlePurchaseId ? await this.chargeOf(t.singlePurchaseId) : null;
          asked = true;
          return this.stripe.api.transfers.create(
            {
              amount: t.amountCents,
              currency: t.currency,
              destination: t.stripeAccountId,
              ...(source ? { source_transaction: source } : {}),
              transfer_group: transferGroup(t.id),
              metadata: { transfer_id: t.id, user_id: t.userId },
            },
            { idempotencyKey: `transfer:${t.id}` },
          );
        })());
      const reversals = await this.repo.transferSent(t.id, made.id, this.clock.now());
      for (const reversalId of reversals ?? []) {
        await this.jobs.enqueue(REVERSE_JOB, { reversalId }, { singletonKey: reversalId });
      }
      return 'sent';
    } catch (err) {
      if (asked && refusedByStripe(err)) {
        await this.repo.transferFailed(
          t.id,
          `${err.code ?? err.type}: ${err.message}`,
          REFUSAL_BACKOFF_SECONDS,
          this.clock.now(),
        );
        this.logger.warn(`transfer ${t.id} refused by Stripe: ${err.code ?? err.type}`);
        return 'failed';
      }
      // no answer: Stripe may or may not have made it; the same key asks again
      await this.repo.touchTransfer(t.id, this.clock.now());
      if (fromJob) throw err;
      await this.jobs.enqueue(
        SEND_JOB,
        { transferId: t.id },
        { singletonKey: `${t.id}:retry`, startAfterSeconds: 30 },
      );
      this.logger.warn(`transfer ${t.id} unanswered (${(err as Error).message}); its job asks again`);
      return 'in_transit';
    }
  }

  /** The transfer Stripe made for this claim, if any (its transfer group names the claim). */
  private async findMade(t: { id: string }): Promise<Stripe.Transfer | null> {
    const list = await this.stripe.api.transfers.list({ transfer_group: transferGroup(t.id), limit: 10 });
    return list.data.find((x) => x.metadata?.transfer_id === t.id) ?? null;
  }

  /** The sale's charge, so the transfer draws on that payment's funds (source_transaction). */
  private async chargeOf(purchaseId: string): Promise<string | null> {
    const pi = await this.repo.paymentIntentOf(purchaseId);
    if (!pi) return null;
    return idOf((await this.stripe.api.paymentIntents.retrieve(pi)).latest_charge);
  }

  /**
   * A claimed reversal made at Stripe (key `reversal:<id>`). A refusal (the connected account
   * lacks the balance) leaves the producer owing it: a negative leg, recovered from later earnings.
   */
  private async reverse(reversalId: string): Promise<void> {
    const r = await this.repo.reversal(reversalId);
    if (!r || r.status !== 'claimed' || !r.stripeTransferId) return;
    try {
      const made = await this.stripe.api.transfers.createReversal(
        r.stripeTransferId,
        { amount: r.amountCents, metadata: { reversal_id: r.id, leg_id: r.legId } },
        { idempotencyKey: `reversal:${r.id}` },
      );
      await this.repo.reversalDone(r.id, made.id, this.clock.now());
    } catch (err) {
      if (!refusedByStripe(err)) throw err;
      this.logger.warn(
        `reversal ${r.id} refused by Stripe (${err.code ?? err.type}): recovered from later earnings`,
      );
      await this.repo.reversalRefused(r.id, this.clock.now());
    }
  }

  /**
   * The daily run: transfers left claimed by a crash are asked again, claimed reversals made,
   * then every ready producer's balance, per currency, claimed and sent (a few at once). The
   * next day's run is queued first, so a failure today does not stop tomorrow.
   */
  async daily(day: string): Promise<void> {
    await this.scheduleDaily();
    const now = this.clock.now();
    for (const id of await this.repo.stuckTransfers(new Date(now.getTime() - 10 * 60_000))) {
      await this.send(id, false).catch((err: Error) => this.logger.warn(`transfer ${id}: ${err.message}`));
    }
    for (const reversalId of await this.repo.claimedReversals()) {
      await this.jobs.enqueue(REVERSE_JOB, { reversalId }, { singletonKey: reversalId });
    }
    let after = '';
    let sent = 0;
    for (;;) {
      const producers = await this.repo.dueProducers(this.clock.now(), after, 500);
      if (!producers.length) break;
      after = producers[producers.length - 1];
      const queue = [...producers];
      await Promise.all(
        Array.from({ length: DAILY_CONCURRENCY }, async () => {
          for (let userId = queue.shift(); userId; userId = queue.shift()) {
            for (const currency of await this.repo.transferableCurrencies(userId, this.clock.now())) {
              const c = await this.claim(userId, currency);
              if (typeof c === 'object' && 'id' in c && (await this.send(c, false)) === 'sent') sent++;
            }
          }
        }),
      );
    }
    this.logger.log(`daily transfers ${day}: ${sent} sent`);
  }
}
