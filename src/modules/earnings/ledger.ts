import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import type { Tx } from '../../platform/database/database';
import { JobsService } from '../../platform/jobs/jobs.service';
import { TracksRepository } from '../tracks/tracks.repository';
import { EarningsRepository } from './earnings.repository';

/** a claimed reversal of a transferred leg: made at Stripe (job, idempotency key per reversal) */
export const REVERSE_JOB = 'earnings.reverse';

/**
 * What a sale means for the people credited on its track, written in the purchase's own
 * transaction (licensing's Fulfilment calls these): the legs when its license is issued, frozen
 * while its payment is disputed, voided when it is refunded or the dispute lost.
 */
@Injectable()
export class EarningsLedger implements OnModuleInit {
  constructor(
    private readonly repo: EarningsRepository,
    private readonly jobs: JobsService,
    private readonly config: AppConfig,
    private readonly tracks: TracksRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * A credit removed before its holder answered: the shares of the sales made while it stood were
   * theirs by the split frozen on those sales, so they stop waiting and are owed to them (nobody
   * could accept them any more). Later sales follow the new credits.
   */
  onModuleInit(): void {
    this.tracks.addUncreditHook((tx, trackId, userIds) =>
      this.repo.releaseHeld(tx, trackId, userIds, this.clock.now()),
    );
  }

  /** A sale's legs: amount − fee split by the credits in force now (once per sale). */
  recordSale(tx: Tx, purchaseId: string, at: Date): Promise<number> {
    return this.repo.recordSale(tx, purchaseId, this.config.limits.earningsHoldDays, at);
  }

  /** The sale's payment is disputed (true) or the dispute was won (false). */
  setFrozen(tx: Tx, purchaseId: string, frozen: boolean, at: Date): Promise<void> {
    return this.repo.setSaleFrozen(tx, purchaseId, frozen, at);
  }

  /**
   * The sale was refunded or its dispute lost: untransferred legs cancelled, transferred ones
   * reversed (claimed here, made at Stripe by a job queued in this transaction).
   */
  async voidSale(tx: Tx, purchaseId: string, at: Date): Promise<void> {
    for (const reversalId of await this.repo.voidSale(tx, purchaseId, at)) {
      await this.jobs.enqueue(REVERSE_JOB, { reversalId }, { tx, singletonKey: reversalId });
    }
  }
}
