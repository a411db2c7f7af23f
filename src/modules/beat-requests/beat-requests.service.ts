import { Injectable } from '@nestjs/common';
import type { BeatRequest } from '@prisma/client';
import { newId } from '../../platform/ids';
import type { Principal } from '../../platform/access/principal';
import { AccessErrors } from '../../platform/access/access.errors';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import { BeatRequestErrors } from './beat-requests.errors';
import { BeatRequestRow, BeatRequestsRepository } from './beat-requests.repository';
import { periodOf } from './periods';
import type { BeatRequestDto, CreateBeatRequestDto, ListBeatRequestsQueryDto } from './dto/beat-request.dto';
import { requestAccess } from './request-access';
import { RequestTokensService } from './request-tokens.service';

/** 24 h = 1 token, 48 h = 2, 72 h = 3; a renewal costs 1. */
const COST: Record<number, number> = { 24: 1, 48: 2, 72: 3 };
const RENEWAL_COST = 1;
const RENEWAL_WINDOW_SECONDS = 30 * 86_400;

@Injectable()
export class BeatRequestsService {
  constructor(
    private readonly repo: BeatRequestsRepository,
    private readonly tokens: RequestTokensService,
    private readonly clock: Clock,
  ) {}

  toDto(r: BeatRequestRow): BeatRequestDto {
    return {
      id: r.id,
      owner_id: r.ownerId,
      title: r.title,
      description: r.description,
      reference_track_url: r.referenceTrackUrl,
      genres: r.genres,
      bpm_min: r.bpmMin,
      bpm_max: r.bpmMax,
      key: r.musicalKey,
      mood: r.mood,
      duration_hours: r.durationHours,
      token_cost: r.tokenCost,
      status: r.expiresAt > this.clock.now() ? 'active' : 'expired',
      renewals: r.renewals,
      submission_count: r._count.submissions,
      expires_at: r.expiresAt.toISOString(),
      created_at: r.createdAt.toISOString(),
    };
  }

  /**
   * The request and its token debit, together or not at all. Validation comes first
   * (description, reference link), then the tokens: no_tokens_remaining at 0,
   * insufficient_tokens below the cost.
   *
   * The common case — this month's balance already open and enough in it — is one statement
   * (debit, request, ledger entry), so the user's balance row is locked only while PostgreSQL
   * runs it: one user's concurrent requests queue for microseconds, not for application round
   * trips (see bench `requests`). Anything else (a month to open, not enough tokens) takes the
   * general path of RequestTokensService under the balance row's lock.
   */
  async create(principal: Principal, dto: CreateBeatRequestDto): Promise<BeatRequestDto> {
    if (dto.bpm_min !== undefined && dto.bpm_max !== undefined && dto.bpm_min > dto.bpm_max) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { bpm_min: ['bpm_min must not exceed bpm_max'] },
      });
    }
    const cost = COST[dto.duration_hours];
    const now = this.clock.now();
    const request: BeatRequest = {
      id: newId('req'),
      ownerId: principal.userId,
      title: dto.title ?? null,
      description: dto.description,
      referenceTrackUrl: dto.reference_track_url,
      genres: dto.genres ?? [],
      bpmMin: dto.bpm_min ?? null,
      bpmMax: dto.bpm_max ?? null,
      musicalKey: dto.key ?? null,
      mood: dto.mood ?? null,
      durationHours: dto.duration_hours,
      tokenCost: cost,
      renewals: 0,
      expiresAt: addSeconds(now, dto.duration_hours * 3600),
      createdAt: now,
      updatedAt: now,
    };
    const note = `${dto.duration_hours} h request`;
    if (!(await this.repo.createPaid(request, { period: periodOf(now), note }))) {
      await this.repo.transaction(async (tx) => {
        await this.repo.create(tx, request);
        const debit = await this.tokens.debit(tx, principal.userId, cost, request.id, note);
        if (debit === 'empty') throw new AppError(BeatRequestErrors.noTokensRemaining);
        if (debit === 'short') throw new AppError(BeatRequestErrors.insufficientTokens);
      });
    }
    return this.toDto({ ...request, _count: { submissions: 0 } });
  }

  async get(id: string): Promise<BeatRequestDto> {
    const request = await this.repo.find(id);
    if (!request) throw new AppError(BeatRequestErrors.requestNotFound);
    return this.toDto(request);
  }

  async list(
    principal: Principal | undefined,
    query: ListBeatRequestsQueryDto,
  ): Promise<Page<BeatRequestDto>> {
    const mine = query.mine === 'true';
    if (mine && !principal) throw new AppError(AccessErrors.unauthenticated);
    const limit = pageLimit(query);
    const rows = await this.repo.list(
      {
        status: query.status ?? 'active',
        ownerId: mine ? principal!.userId : undefined,
        now: this.clock.now(),
      },
      limit + 1,
      decodeCursor(query.cursor),
    );
    return toPage(rows, limit, byCreation, (r) => this.toDto(r));
  }

  /**
   * The creator deletes; an active request gives back what its live window cost — the original
   * price, or the renewal's token once renewed — never above the allowance. An expired request
   * refunds nothing.
   */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.repo.transaction(async (tx) => {
      const request = requestAccess.assert(principal, 'delete', await this.repo.lock(tx, id));
      // what the live window cost: the request's price, or the renewal that reopened it
      const paid = await this.repo.lastDebit(tx, id);
      await this.repo.delete(tx, id);
      if (request.expiresAt > this.clock.now() && paid > 0) {
        await this.tokens.refund(tx, request.ownerId, paid, id, 'request deleted while active');
      }
    });
  }

  /**
   * Renews an expired request for one token. Checked in order: request_not_found,
   * not_request_owner, request_still_active, renewal_window_expired (more than 30 days after
   * expiry), no_token_for_renewal. Under the request's lock: two renewals cannot both pass.
   */
  async renew(principal: Principal, id: string, hours: number): Promise<BeatRequestDto> {
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      const request = requestAccess.assert(principal, 'renew', await this.repo.lock(tx, id));
      if (request.expiresAt > now) throw new AppError(BeatRequestErrors.requestStillActive);
      if (addSeconds(request.expiresAt, RENEWAL_WINDOW_SECONDS) < now)
        throw new AppError(BeatRequestErrors.renewalWindowExpired);
      const debit = await this.tokens.debit(tx, principal.userId, RENEWAL_COST, id, 'renewal');
      if (debit !== 'ok') throw new AppError(BeatRequestErrors.noTokenForRenewal);
      await this.repo.renew(tx, id, addSeconds(now, hours * 3600), now);
    });
    return this.get(id);
  }
}
