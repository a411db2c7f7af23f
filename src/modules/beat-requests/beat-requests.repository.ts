import { Injectable } from '@nestjs/common';
import type { BeatRequest } from '@prisma/client';
import { newId } from '../../platform/ids';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import type { Candidate } from '../audio/fingerprint.repository';
import { DEBIT_SQL, debitValues } from './request-tokens.repository';

/** A submission about to be inserted. */
export interface NewSubmission {
  id: string;
  requestId: string;
  trackId: string;
  producerId: string;
  at: Date;
}

/** What `submission_try` found and did for one submission (BeatRequestsRepository.trySubmit). */
export interface TryOutcome {
  found: boolean;
  submitted: boolean;
  mine: number;
  inserted: boolean;
  candidates: Candidate[];
}

export type BeatRequestRow = BeatRequest & { _count: { submissions: number } };
export type LockedRequest = Pick<BeatRequest, 'id' | 'ownerId' | 'expiresAt' | 'tokenCost'>;
const WITH_COUNT = { _count: { select: { submissions: true } } } as const;

/** The head of a new request's insert: plain (`create`) or after the debit (`createPaid`). */
// the text stays as bench/requests-raw.mjs sends it (the baseline's statements are compared)
const INSERT_REQUEST = `INSERT INTO beat_requests (id, owner_id, title, description, reference_track_url, genres, bpm_min, bpm_max,
                                  musical_key, mood, duration_hours, token_cost, renewals, expires_at, created_at, updated_at)`;

@Injectable()
export class BeatRequestsRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async create(tx: Tx, r: BeatRequest): Promise<void> {
    await tx.execute(
      `${INSERT_REQUEST}
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        r.id,
        r.ownerId,
        r.title,
        r.description,
        r.referenceTrackUrl,
        r.genres,
        r.bpmMin,
        r.bpmMax,
        r.musicalKey,
        r.mood,
        r.durationHours,
        r.tokenCost,
        r.renewals,
        r.expiresAt,
        r.createdAt,
        r.updatedAt,
      ],
    );
  }

  /**
   * The common case of a new request as one statement: the debit (request-tokens.repository.ts
   * DEBIT_SQL) and, when it took the tokens, the request, all or nothing. False when it did
   * nothing (see RequestTokensService.debit for every other case).
   */
  async createPaid(r: BeatRequest, debit: { period: string; note: string }): Promise<boolean> {
    const inserted = await this.db.execute(
      `WITH ${DEBIT_SQL}
       ${INSERT_REQUEST}
       SELECT $6, $1, $8, $9, $10, $11::text[], $12::int, $13::int, $14, $15, $16::int, $3, 0, $17, $4, $4
       FROM debited`,
      [
        ...debitValues({
          userId: r.ownerId,
          period: debit.period,
          cost: r.tokenCost,
          at: r.createdAt,
          entryId: newId('tle'),
          requestId: r.id,
          note: debit.note,
        }),
        r.title,
        r.description,
        r.referenceTrackUrl,
        r.genres,
        r.bpmMin,
        r.bpmMax,
        r.musicalKey,
        r.mood,
        r.durationHours,
        r.expiresAt,
      ],
      'beat_request_create_paid',
    );
    return inserted === 1;
  }

  find(id: string): Promise<BeatRequestRow | null> {
    return this.prisma.beatRequest.findUnique({ where: { id }, include: WITH_COUNT });
  }

  /**
   * The request, locked for the rest of the transaction: its submissions, renewal and deletion
   * take turns. Statements after this one see what the previous holder committed.
   */
  async lock(tx: Tx, id: string): Promise<LockedRequest | null> {
    const rows = await tx.query<LockedRequest>(
      `
      SELECT id, owner_id AS "ownerId", expires_at AS "expiresAt", token_cost AS "tokenCost"
      FROM beat_requests WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** What the request's latest debit took (its creation, or the renewal that reopened it). */
  async lastDebit(tx: Tx, requestId: string): Promise<number> {
    const rows = await tx.query<{ amount: number }>(
      `
      SELECT -amount AS amount FROM token_ledger WHERE request_id = $1 AND kind = 'debit'
      ORDER BY created_at DESC, id DESC LIMIT 1`,
      [requestId],
    );
    return rows[0]?.amount ?? 0;
  }

  list(
    filter: { status: 'active' | 'expired'; ownerId?: string; now: Date },
    take: number,
    after?: Keyset,
  ): Promise<BeatRequestRow[]> {
    return this.prisma.beatRequest.findMany({
      where: {
        expiresAt: filter.status === 'active' ? { gt: filter.now } : { lte: filter.now },
        ...(filter.ownerId ? { ownerId: filter.ownerId } : {}),
        ...olderThan(after),
      },
      include: WITH_COUNT,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  /** Under the request's lock (`lock`): the row is there. */
  async delete(tx: Tx, id: string): Promise<void> {
    await tx.execute('DELETE FROM beat_requests WHERE id = $1', [id]);
  }

  /** Under the request's lock (`lock`): the row is there. */
  async renew(tx: Tx, id: string, expiresAt: Date, at: Date): Promise<void> {
    await tx.execute(
      'UPDATE beat_requests SET expires_at = $2, renewals = renewals + 1, updated_at = $3 WHERE id = $1',
      [id, expiresAt, at],
    );
  }

  // ---- submissions ------------------------------------------------------------------------------

  /**
   * What a submission is checked against before any lock, in one statement: the request (owner,
   * expiry), the track with its credited users, and whether the track has its fingerprint (the
   * fingerprint itself is read only when similar audio has to be compared). Each part is null
   * when missing.
   */
  async submissionContext(
    requestId: string,
    trackId: string,
  ): Promise<{
    request: { ownerId: string; expiresAt: Date } | null;
    track: {
      id: string;
      ownerId: string;
      title: string;
      source: 'upload' | 'external';
      processingStatus: 'pending' | 'processing' | 'ready' | 'failed' | null;
      collaborators: { userId: string }[];
    } | null;
    fingerprinted: boolean;
  }> {
    const [row] = await this.db.query<{
      requestOwnerId: string | null;
      expiresAt: Date | null;
      trackId: string | null;
      trackOwnerId: string;
      title: string;
      source: 'upload' | 'external';
      processingStatus: 'pending' | 'processing' | 'ready' | 'failed' | null;
      collaborators: string[];
      fingerprinted: boolean;
    }>(
      `SELECT r.owner_id AS "requestOwnerId", r.expires_at AS "expiresAt",
              t.id AS "trackId", t.owner_id AS "trackOwnerId", t.title, t.source, t.processing_status AS "processingStatus",
              ARRAY(SELECT c.user_id FROM track_collaborators c WHERE c.track_id = t.id) AS collaborators,
              f.track_id IS NOT NULL AS fingerprinted
       FROM (SELECT) AS one
       LEFT JOIN beat_requests r ON r.id = $1
       LEFT JOIN tracks t ON t.id = $2
       LEFT JOIN track_fingerprints f ON f.track_id = t.id`,
      [requestId, trackId],
      'submission_context',
    );
    return {
      request: row.requestOwnerId ? { ownerId: row.requestOwnerId, expiresAt: row.expiresAt! } : null,
      track: row.trackId
        ? {
            id: row.trackId,
            ownerId: row.trackOwnerId,
            title: row.title,
            source: row.source,
            processingStatus: row.processingStatus,
            collaborators: row.collaborators.map((userId) => ({ userId })),
          }
        : null,
      fingerprinted: row.fingerprinted,
    };
  }

  /**
   * The rules other submissions can break, checked and applied in one call of `submission_try`
   * (migrations 20261201010000_submission_try, 20261207093000_fingerprint_candidates) for a batch
   * of submissions to one request, in their order: it takes the request's row lock, then reads for
   * each — seeing every submission committed before the lock was ours and the batch's earlier
   * inserts — whether its track is on the request already, how many its producer has on it, and
   * which tracks already submitted are fingerprint candidates for it (`fingerprint_candidates`,
   * the rule every index lookup uses). When there is none of those it inserts
   * the submission. Without `tx` it runs in autocommit, so the lock is held only while PostgreSQL
   * runs it and commits; within `tx` the lock stays until `tx` commits, for the exact comparison of
   * candidates and `createSubmission`. `found` is false when the request is gone. One outcome per
   * submission, in order.
   */
  async trySubmit(
    tx: Tx | undefined,
    requestId: string,
    batch: NewSubmission[],
    rule: { limit: number; candidates: number },
  ): Promise<TryOutcome[]> {
    const text = `SELECT request_found AS found, already_submitted AS submitted, producer_count AS mine,
                         inserted, candidates
                  FROM submission_try($1, $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int, $7::int)
                  ORDER BY item`;
    const params = [
      requestId,
      batch.map((s) => s.trackId),
      batch.map((s) => s.producerId),
      batch.map((s) => s.id),
      batch.map((s) => s.at),
      rule.limit,
      rule.candidates,
    ];
    return tx
      ? await tx.query<TryOutcome>(text, params, 'submission_try')
      : await this.db.query<TryOutcome>(text, params, 'submission_try');
  }

  async createSubmission(tx: Tx, data: NewSubmission): Promise<void> {
    await tx.execute(
      'INSERT INTO submissions (id, request_id, track_id, producer_id, created_at) VALUES ($1, $2, $3, $4, $5)',
      [data.id, data.requestId, data.trackId, data.producerId, data.at],
    );
  }

  submissions(requestId: string, producerId: string | undefined, take: number, after?: Keyset) {
    return this.prisma.submission.findMany({
      where: {
        requestId,
        ...(producerId ? { producerId } : {}),
        ...olderThan(after),
      },
      include: { track: { select: { title: true } }, request: { select: { ownerId: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }
}
