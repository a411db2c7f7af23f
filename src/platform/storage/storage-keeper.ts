import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { addSeconds, Clock } from '../clock/clock';
import { newId } from '../ids';
import { JobsService } from '../jobs/jobs.service';
import { Database, type Tx } from '../database/database';
import { PrismaService } from '../prisma/prisma.service';
import { StorageService, type ReceivedFile } from './storage.service';

export const COLLECT_OBJECT_JOB = 'storage.collect';
/** how long an upload may take between its pin and its commit before it is taken for crashed */
const PIN_SECONDS = 3600;
/** a claimed deletion not finished by then is taken for crashed (its call times out long before) */
const DELETION_LEASE_SECONDS = 60;
const BUSY_RETRY_MS = 100;

/** An upload's claim on the object of its bytes, from before the write until its rows commit. */
export interface StagedObject {
  pinId: string;
  sha256: string;
}

/** A transaction-scoped lock on one stored object: uploads and deletions of the same bytes take turns. */
export const lockObject = (tx: Tx, sha256: string) =>
  tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, [sha256]);

/**
 * When an object may be written and when it is removed, decided in the database, with the
 * network call (S3 or the disk) always outside any transaction:
 *
 * - an upload *stages* its object: under the object's lock it inserts a pin (storage_writes),
 *   commits, then writes the object (unless a committed row already references it); the rows
 *   that reference it commit together with the pin's removal (`commit`), or the pin goes and the
 *   object is collected (`abandon`). A pin left by a crash expires and a delayed collect job,
 *   queued with the pin, removes the object if nothing references it.
 * - the last reference going (a track deleted) queues a collect job in the same transaction and
 *   the request runs it right after its commit. Collecting claims the deletion (storage_deletions)
 *   only while no row references the bytes and no live pin exists, then removes the object, then
 *   drops the claim. An upload of the same bytes meanwhile waits for the claim to end before it
 *   pins, so it never writes an object that an in-flight deletion then removes.
 */
@Injectable()
export class StorageKeeper implements OnModuleInit {
  private readonly logger = new Logger(StorageKeeper.name);
  /** the tables whose `sha256` column references stored objects (`addReferences`) */
  private readonly referencing = ['audio_files'];

  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
    private readonly storage: StorageService,
    private readonly jobs: JobsService,
    private readonly clock: Clock,
  ) {}

  /**
   * Declares another table whose `sha256` column references stored objects (the listening
   * module's renditions and voice tags): an object is present, and never collected, while any
   * of them references it.
   */
  addReferences(table: string): void {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
    if (!this.referencing.includes(table)) this.referencing.push(table);
  }

  /** SQL: whether any referencing table holds the object `$1` */
  private referenced(): string {
    return `(${this.referencing.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE sha256 = $1)`).join(' OR ')})`;
  }

  onModuleInit(): void {
    this.jobs.register<{ sha256: string }>({
      name: COLLECT_OBJECT_JOB,
      handler: (data) => this.collect(data.sha256),
      retryDelay: 30,
    });
  }

  /** Pins the received bytes, then writes their object unless a committed row already has it. */
  async stage(file: ReceivedFile): Promise<StagedObject> {
    const pinned = await this.pin(file.sha256);
    const staged = { pinId: pinned.pinId, sha256: file.sha256 };
    if (pinned.present) {
      await this.storage.discard(file.tempPath);
      return staged;
    }
    try {
      await this.storage.put(file.tempPath, file.sha256);
    } catch (err) {
      await this.abandon(staged);
      throw err;
    }
    return staged;
  }

  private async pin(sha256: string): Promise<{ pinId: string; present: boolean }> {
    for (;;) {
      const result = await this.db.transaction(async (tx) => {
        await lockObject(tx, sha256);
        const now = this.clock.now();
        const [state] = await tx.query<{ deleting: boolean; present: boolean }>(
          `
          SELECT EXISTS (SELECT 1 FROM storage_deletions WHERE sha256 = $1 AND claimed_until > $2) AS deleting,
                 ${this.referenced()} AS present`,
          [sha256, now],
        );
        if (state.deleting) return null;
        const pinId = newId('pin');
        await tx.execute('INSERT INTO storage_writes (id, sha256, expires_at) VALUES ($1, $2, $3)', [
          pinId,
          sha256,
          addSeconds(now, PIN_SECONDS),
        ]);
        // should this upload die before its commit or abandon, its object is collected later
        await this.jobs.enqueue(COLLECT_OBJECT_JOB, { sha256 }, { tx, startAfterSeconds: PIN_SECONDS + 60 });
        return { pinId, present: state.present };
      });
      if (result) return result;
      // a deletion of these bytes is in flight: write after it, never before
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
    }
  }

  /**
   * Inside the transaction that creates the rows referencing the object: takes the object's lock
   * and removes the pin. A pin that is gone (expired and collected) fails the transaction.
   */
  async commit(tx: Tx, staged: StagedObject): Promise<void> {
    await lockObject(tx, staged.sha256);
    const removed = await tx.execute(`DELETE FROM storage_writes WHERE id = $1`, [staged.pinId]);
    if (!removed) throw new Error(`upload pin ${staged.pinId} expired before its commit`);
  }

  /**
   * The upload failed after staging: its pin goes, and the object unless something references it
   * (also when this upload did not write it: the last reference may have gone meanwhile).
   */
  async abandon(staged: StagedObject): Promise<void> {
    try {
      await this.prisma.storageWrite.deleteMany({ where: { id: staged.pinId } });
      await this.collect(staged.sha256);
    } catch (err) {
      // the pin's delayed collect job finishes this
      this.logger.warn(
        `object ${staged.sha256} not collected after a failed upload: ${(err as Error).message}`,
      );
    }
  }

  /** Inside the transaction that removed the last reference: the object goes once it commits. */
  async scheduleCollect(tx: Tx, sha256: string): Promise<void> {
    await this.jobs.enqueue(COLLECT_OBJECT_JOB, { sha256 }, { tx });
  }

  /** After that commit: collect now (the queued job retries if this fails). */
  async collectNow(sha256: string): Promise<void> {
    await this.collect(sha256).catch((err: Error) =>
      this.logger.warn(`object ${sha256} not removed yet (its job retries): ${err.message}`),
    );
  }

  /** Removes the object when nothing references it and no upload holds a live pin on it. */
  async collect(sha256: string): Promise<void> {
    const claimedUntil = await this.db.transaction(async (tx) => {
      await lockObject(tx, sha256);
      const now = this.clock.now();
      await tx.execute('DELETE FROM storage_writes WHERE sha256 = $1 AND expires_at <= $2', [sha256, now]);
      const [state] = await tx.query<{ used: boolean }>(
        `
        SELECT ${this.referenced()}
            OR EXISTS (SELECT 1 FROM storage_writes WHERE sha256 = $1) AS used`,
        [sha256],
      );
      if (state.used) return null;
      const until = addSeconds(now, DELETION_LEASE_SECONDS);
      // one deletion at a time: another one's live claim means it is being done
      const claimed = await tx.execute(
        `
        INSERT INTO storage_deletions (sha256, claimed_until) VALUES ($1, $2)
        ON CONFLICT (sha256) DO UPDATE SET claimed_until = EXCLUDED.claimed_until
          WHERE storage_deletions.claimed_until <= $3`,
        [sha256, until, now],
      );
      return claimed ? until : null;
    });
    if (!claimedUntil) return;
    try {
      await this.storage.remove(sha256);
    } finally {
      // done or failed: the claim ends (a failure leaves the object to the job's retry)
      await this.prisma.storageDeletion.deleteMany({ where: { sha256, claimedUntil } });
    }
  }
}
