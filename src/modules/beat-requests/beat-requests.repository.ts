import { Injectable } from '@nestjs/common';
import type { BeatRequest, Submission } from '@prisma/client';
import { newId } from '../../platform/ids';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';
import { type Candidate, candidateRule } from '../audio/fingerprint.repository';

export type BeatRequestRow = BeatRequest & { _count: { submissions: number } };
export type LockedRequest = Pick<BeatRequest, 'id' | 'ownerId' | 'expiresAt' | 'tokenCost'>;
const WITH_COUNT = { _count: { select: { submissions: true } } } as const;

@Injectable()
export class BeatRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async create(tx: Tx, request: BeatRequest): Promise<void> {
    await tx.beatRequest.create({ data: request });
  }

  /**
   * The common case of a new request as one statement: takes the cost from the owner's balance
   * if it belongs to `period` and holds enough (the UPDATE locks the row and re-reads its latest
   * version), inserts the request and the debit entry, all or nothing. False when it did nothing
   * (see RequestTokensService.debit for every other case).
   */
  async createPaid(r: BeatRequest, debit: { period: string; note: string }): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<unknown[]>`
      WITH debited AS (
        UPDATE token_balances SET balance = balance - ${r.tokenCost}::int, updated_at = ${r.createdAt}
        WHERE user_id = ${r.ownerId} AND period = ${debit.period} AND balance >= ${r.tokenCost}::int
        RETURNING user_id
      ), entry AS (
        INSERT INTO token_ledger (id, user_id, period, kind, amount, request_id, note, created_at)
        SELECT ${newId('tle')}, user_id, ${debit.period}, 'debit'::token_entry_kind, ${-r.tokenCost}::int,
               ${r.id}, ${debit.note}, ${r.createdAt}
        FROM debited
      )
      INSERT INTO beat_requests (id, owner_id, title, description, reference_track_url, genres, bpm_min,
                                 bpm_max, musical_key, mood, duration_hours, token_cost, renewals,
                                 expires_at, created_at, updated_at)
      SELECT ${r.id}, ${r.ownerId}, ${r.title}, ${r.description}, ${r.referenceTrackUrl}, ${r.genres}::text[],
             ${r.bpmMin}::int, ${r.bpmMax}::int, ${r.musicalKey}, ${r.mood}, ${r.durationHours}::int,
             ${r.tokenCost}::int, 0, ${r.expiresAt}, ${r.createdAt}, ${r.updatedAt}
      FROM debited
      RETURNING 1`;
    return rows.length === 1;
  }

  find(id: string, tx?: Tx): Promise<BeatRequestRow | null> {
    return (tx ?? this.prisma).beatRequest.findUnique({ where: { id }, include: WITH_COUNT });
  }

  /**
   * The request, locked for the rest of the transaction: its submissions, renewal and deletion
   * take turns. Statements after this one see what the previous holder committed.
   */
  async lock(tx: Tx, id: string): Promise<LockedRequest | null> {
    const rows = await tx.$queryRaw<LockedRequest[]>`
      SELECT id, owner_id AS "ownerId", expires_at AS "expiresAt", token_cost AS "tokenCost"
      FROM beat_requests WHERE id = ${id} FOR UPDATE`;
    return rows[0] ?? null;
  }

  /** What the request's latest debit took (its creation, or the renewal that reopened it). */
  async lastDebit(tx: Tx, requestId: string): Promise<number> {
    const rows = await tx.$queryRaw<{ amount: number }[]>`
      SELECT -amount AS amount FROM token_ledger WHERE request_id = ${requestId} AND kind = 'debit'
      ORDER BY created_at DESC, id DESC LIMIT 1`;
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

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.beatRequest.delete({ where: { id } });
  }

  async renew(tx: Tx, id: string, expiresAt: Date, at: Date): Promise<void> {
    await tx.beatRequest.update({
      where: { id },
      data: { expiresAt, renewals: { increment: 1 }, updatedAt: at },
    });
  }

  // ---- submissions ------------------------------------------------------------------------------

  /**
   * The rules other submissions can break, checked and applied in one statement: whether this
   * track is on the request already, how many the producer has on it, and which tracks already
   * submitted to it are fingerprint candidates for this one (`candidateRule`, the index's rule).
   * When there is none of those, the submission is inserted by the same statement; when there
   * are candidates the caller compares them exactly and inserts with `createSubmission`.
   * Run after `lock` (a statement of its own, so this one sees every submission committed
   * before the lock was ours).
   */
  async submitIfClear(
    tx: Tx,
    s: { id: string; requestId: string; trackId: string; producerId: string; at: Date },
    rule: { keys: number[]; limit: number; candidates: number },
  ): Promise<{ submitted: boolean; mine: number; inserted: boolean; candidates: Candidate[] }> {
    const candidate = candidateRule(rule.keys);
    const [outcome] = await tx.$queryRaw<
      { submitted: boolean; mine: number; inserted: boolean; candidates: Candidate[] }[]
    >`
      WITH state AS (
        SELECT COALESCE(bool_or(track_id = ${s.trackId}), false) AS submitted,
               (count(*) FILTER (WHERE producer_id = ${s.producerId}))::int AS mine
        FROM submissions WHERE request_id = ${s.requestId}
      ), candidates AS (
        SELECT f.track_id AS "trackId", f.fingerprint
        FROM track_fingerprints f
        WHERE f.track_id IN (SELECT track_id FROM submissions WHERE request_id = ${s.requestId})
          AND f.track_id <> ${s.trackId} AND ${candidate.where}
        ORDER BY ${candidate.rank}
        LIMIT ${rule.candidates}::int
      ), inserted AS (
        INSERT INTO submissions (id, request_id, track_id, producer_id, created_at)
        SELECT ${s.id}, ${s.requestId}, ${s.trackId}, ${s.producerId}, ${s.at} FROM state
        WHERE NOT state.submitted AND state.mine < ${rule.limit}::int AND NOT EXISTS (SELECT 1 FROM candidates)
        RETURNING id
      )
      SELECT state.submitted, state.mine, EXISTS (SELECT 1 FROM inserted) AS inserted,
             COALESCE((SELECT json_agg(c) FROM candidates c), '[]'::json) AS candidates
      FROM state`;
    return outcome;
  }

  createSubmission(
    tx: Tx,
    data: { id: string; requestId: string; trackId: string; producerId: string; at: Date },
  ): Promise<Submission> {
    return tx.submission.create({
      data: {
        id: data.id,
        requestId: data.requestId,
        trackId: data.trackId,
        producerId: data.producerId,
        createdAt: data.at,
      },
    });
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
