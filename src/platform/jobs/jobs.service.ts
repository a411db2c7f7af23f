import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PgBoss, type ConstructorOptions } from 'pg-boss';
import { AppConfig } from '../../config/config';
import { Clock } from '../clock/clock';
import type { Tx } from '../database/database';
import { ConnectTaggedClient } from '../database/tagged-connections';
import { JobClock } from './job-clock';

export interface JobContext {
  id: string;
  retryCount: number;
}

export interface JobDefinition<T extends object = object> {
  name: string;
  handler: (data: T, job: JobContext) => Promise<void>;
  /** attempts after the first; default 5 */
  retryLimit?: number;
  /** seconds before a retry (doubling when backoff); default 10 */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** a job running longer is considered crashed and retried; default 15 min */
  expireInSeconds?: number;
  /**
   * Runs once when a job has used its last attempt — also when its worker died or it ran past
   * its expiry every time, where the handler never sees the end — so its subject does not stay
   * "in progress" forever. Carried by a dead-letter queue `<name>.dead`.
   */
  onGiveUp?: (data: T) => Promise<void>;
}

export interface EnqueueOptions {
  /** enqueue inside this transaction: the job exists iff it commits */
  tx?: Tx;
  /**
   * with `singletonSeconds`: at most one job with this key per slot of that many seconds, run or
   * not (pg-boss's singleton slot); alone, a key pg-boss's standard queues do not enforce
   */
  singletonKey?: string;
  singletonSeconds?: number;
  startAfterSeconds?: number;
}

/** pg-boss's view of a transaction to write its job row in. */
const jobDb = (tx: Tx) => ({
  executeSql: async (text: string, values?: unknown[]) => ({ rows: await tx.query(text, values) }),
});

/**
 * How long a queued job waits for a worker before pg-boss deletes it unrun: a year (pg-boss's
 * default is 14 days). A refund, a track's processing or a mail must not vanish because the
 * workers were away for two weeks, or because job time jumped (the test clock moved a month: the
 * chaos run found a queued refund and a queued processing job deleted that way).
 */
export const QUEUED_JOB_RETENTION_SECONDS = 365 * 24 * 3600;

/** pg-boss's schema (its default), where job time (`job_now()`) lives too */
const JOB_SCHEMA = 'pgboss';

/**
 * Background jobs on pg-boss, in the application's own PostgreSQL. Modules register handlers at
 * init; with JOBS_AUTORUN=1 (default) workers poll for them, with 0 nothing runs until the
 * test hook calls `drain()`. Jobs can be enqueued inside a transaction (outbox).
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobsService.name);
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly deadLetters = new Map<string, string>();
  private readonly boss: PgBoss;
  private readonly clock: JobClock;
  private started = false;

  constructor(
    private readonly config: AppConfig,
    clock: Clock,
  ) {
    this.clock = new JobClock(clock);
    const options: ConstructorOptions & { Client: typeof ConnectTaggedClient } = {
      // expiry, retry delays and delayed starts follow the application clock, not the database's
      clock: this.clock,
      connectionString: config.databaseUrl,
      schema: JOB_SCHEMA,
      // pg's own option, passed through to pg-boss's pool: an enqueue that cannot get a
      // connection is marked as a connect failure (503 service_unavailable, whatever the code)
      Client: ConnectTaggedClient,
      max: 4,
      application_name: 'beat-platform-jobs',
      // how soon a job whose worker died (its lease expired) is noticed and retried
      superviseIntervalSeconds: config.jobsSuperviseSeconds,
      monitorIntervalSeconds: config.jobsSuperviseSeconds,
    };
    this.boss = new PgBoss(options);
    this.boss.on('error', (err: Error & { code?: string }) => {
      // 57P01: the database is shutting down (Ctrl-C reaches the embedded PostgreSQL too)
      if (err.code === '57P01') this.logger.debug?.(`pg-boss: ${err.message}`);
      else this.logger.error(`pg-boss: ${err.message}`);
    });
  }

  register<T extends object>(definition: JobDefinition<T>): void {
    const giveUp = definition.onGiveUp;
    if (giveUp) {
      // first: a queue's dead letter must exist before it
      this.register<T>({ name: `${definition.name}.dead`, handler: (data) => giveUp(data), retryLimit: 5 });
      this.deadLetters.set(definition.name, `${definition.name}.dead`);
    }
    this.definitions.set(definition.name, definition as unknown as JobDefinition);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.boss.start();
    await this.clock.install(this.boss.getDb(), JOB_SCHEMA);
    this.started = true;
    for (const def of this.definitions.values()) {
      await this.boss.createQueue(def.name, {
        retryLimit: def.retryLimit ?? 5,
        retryDelay: def.retryDelay ?? 10,
        retryBackoff: def.retryBackoff ?? true,
        expireInSeconds: def.expireInSeconds ?? 15 * 60,
        retentionSeconds: QUEUED_JOB_RETENTION_SECONDS,
      });
      const deadLetter = this.deadLetters.get(def.name);
      // also on a queue created before (createQueue leaves an existing queue alone)
      await this.boss.updateQueue(def.name, {
        retentionSeconds: QUEUED_JOB_RETENTION_SECONDS,
        ...(deadLetter ? { deadLetter } : {}),
      });
      if (this.config.jobsAutorun) {
        await this.boss.work<object>(def.name, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
          await this.run(def, job.data, {
            id: job.id,
            retryCount: (job as { retryCount?: number }).retryCount ?? 0,
          });
        });
      }
    }
  }

  async enqueue(name: string, data: object, options: EnqueueOptions = {}): Promise<string | null> {
    if (!this.definitions.has(name)) throw new Error(`no job named ${name} is registered`);
    return this.boss.send(name, data, {
      singletonKey: options.singletonKey,
      ...(options.singletonSeconds ? { singletonSeconds: options.singletonSeconds } : {}),
      startAfter: options.startAfterSeconds,
      ...(options.tx ? { db: jobDb(options.tx) } : {}),
    });
  }

  /** After the application clock moved (test hook): job time moves with it. */
  async syncClock(): Promise<void> {
    if (this.started) await this.clock.sync();
  }

  /** Runs every queued job of every queue now, until all queues are empty (test hook). */
  async drain(): Promise<number> {
    // expire jobs whose worker died (their lease ran out), so they come back for a retry
    await this.boss.supervise();
    let processed = 0;
    for (let round = 0; round < 1000; round++) {
      let found = 0;
      for (const def of this.definitions.values()) {
        const jobs = await this.boss.fetch<object>(def.name, { batchSize: 20, includeMetadata: true });
        for (const job of jobs) {
          found++;
          try {
            await this.run(def, job.data, { id: job.id, retryCount: job.retryCount });
            await this.boss.complete(def.name, job.id);
          } catch (err) {
            await this.boss.fail(def.name, job.id, { message: (err as Error).message });
          }
        }
      }
      processed += found;
      if (!found) break;
    }
    return processed;
  }

  private async run(def: JobDefinition, data: object, job: JobContext): Promise<void> {
    try {
      await def.handler(data, job);
    } catch (err) {
      this.logger.warn(
        `job ${def.name} ${job.id} failed (attempt ${job.retryCount + 1}): ${(err as Error).message}`,
      );
      throw err;
    }
  }

  /**
   * Stops the workers: running jobs get `timeoutMs` to finish; pg-boss then fails those still
   * running, so they are retried (by another instance) like any failed attempt. A job whose
   * process was killed outright comes back once its expiry passes (supervision).
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: timeoutMs });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
