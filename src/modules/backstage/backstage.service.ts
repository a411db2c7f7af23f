import { Injectable } from '@nestjs/common';
import type { BackstageRequest, BackstageRequestStatus } from '@prisma/client';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { AuditRepository } from '../../platform/audit/audit.repository';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { AccountsService } from '../accounts/accounts.service';
import { artistAccess } from '../artists/artist-access';
import { ArtistsService } from '../artists/artists.service';
import { BackstageErrors } from './backstage.errors';
import { BackstageRepository } from './backstage.repository';
import type {
  BackstageRequestDto,
  BackstageType,
  CreateBackstageRequestDto,
  EligibilityDto,
  ListBackstageQueryDto,
} from './dto/backstage.dto';

const PERMISSION = 'backstage_requests.create';

const toDto = (r: BackstageRequest): BackstageRequestDto => ({
  id: r.id,
  user_id: r.userId,
  type: r.type.replace('_', '-') as BackstageType,
  status: r.status,
  first_name: r.firstName,
  last_name: r.lastName,
  beats_link: r.beatsLink,
  artist_id: r.artistId,
  message: r.message,
  decided_by: r.decidedBy,
  decided_at: r.decidedAt?.toISOString() ?? null,
  decision_notes: r.decisionNotes,
  created_at: r.createdAt.toISOString(),
});

/** Which statuses each admin decision starts from. */
const DECISIONS: Record<
  'approve' | 'deny' | 'revoke',
  { from: BackstageRequestStatus[]; to: BackstageRequestStatus }
> = {
  approve: { from: ['pending'], to: 'approved' },
  deny: { from: ['pending'], to: 'denied' },
  revoke: { from: ['pending', 'approved'], to: 'revoked' },
};

/**
 * The producer program: users ask to become an artist, to verify their artist profile or to
 * claim one; admins approve, deny or revoke. A user's requests take turns on their user row, and
 * a partial unique index keeps one pending request per user whatever the concurrency; a pending
 * request, or a revoked one in their history, blocks every new request.
 */
@Injectable()
export class BackstageService {
  constructor(
    private readonly repo: BackstageRepository,
    private readonly accounts: AccountsService,
    private readonly artists: ArtistsService,
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async eligibility(userId: string): Promise<EligibilityDto> {
    const contact_url = `${this.config.appUrl}/contact`;
    if (!(await this.accounts.hasPermission(userId, PERMISSION))) {
      return {
        can_submit: false,
        block_reason: 'missing_permission',
        message:
          'Your account cannot send producer-program requests yet: verify your email address, or contact us.',
        contact_url,
        blocking_request_id: null,
      };
    }
    const block = await this.repo.blocking(userId);
    if (!block)
      return { can_submit: true, block_reason: null, message: null, contact_url, blocking_request_id: null };
    const pending = block.status === 'pending';
    return {
      can_submit: false,
      block_reason: pending ? 'request_pending' : 'request_revoked',
      message: pending ? BackstageErrors.requestPending.message : BackstageErrors.requestRevoked.message,
      contact_url,
      blocking_request_id: block.id,
    };
  }

  /**
   * Checked in order: forbidden (no backstage_requests.create), backstage_request_pending,
   * backstage_request_revoked, then the artist named by verify-artist (yours: artist_not_found,
   * forbidden) or claim-artist (artist_not_found). Field rules per type are validation_failed.
   */
  async create(principal: Principal, dto: CreateBackstageRequestDto): Promise<BackstageRequestDto> {
    const userId = principal.userId;
    return this.repo.transaction(async (tx) => {
      await this.accounts.lockUser(tx, userId);
      if (!(await this.accounts.hasPermission(userId, PERMISSION, tx))) {
        // the catalogue's generic message: a refusal never names the permission it lacked
        throw new AppError(GeneralErrors.forbidden);
      }
      const block = await this.repo.blocking(userId, tx);
      if (block?.status === 'pending') {
        throw new AppError(BackstageErrors.requestPending, { context: { blocking_request_id: block.id } });
      }
      if (block) {
        throw new AppError(BackstageErrors.requestRevoked, {
          context: { blocking_request_id: block.id, contact_url: `${this.config.appUrl}/contact` },
        });
      }
      let artistId: string | null = null;
      if (dto.type !== 'become-artist') {
        const artist = artistAccess.assert(
          principal,
          'see',
          await this.artists.findByIdOrSlug(dto.artist_id!, tx),
        );
        if (dto.type === 'verify-artist' && !artistAccess.can(principal, 'edit', artist)) {
          throw new AppError(GeneralErrors.forbidden, {
            message: 'You can only verify your own artist profile; use claim-artist for someone else’s.',
          });
        }
        artistId = artist.id;
      }
      const created = await this.repo.create(tx, {
        userId,
        type: dto.type,
        firstName: dto.first_name,
        lastName: dto.last_name,
        beatsLink: dto.beats_link ?? null,
        artistId,
        message: dto.message ?? null,
        at: this.clock.now(),
      });
      if (!created) throw new AppError(BackstageErrors.requestPending);
      return toDto(created);
    });
  }

  async listOwn(principal: Principal, query: PageQueryDto): Promise<Page<BackstageRequestDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.listOwn(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, byCreation, toDto);
  }

  async list(query: ListBackstageQueryDto): Promise<Page<BackstageRequestDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.list(query.status, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, byCreation, toDto);
  }

  /**
   * An admin decision, audit-logged with its notes in the same transaction. approve and deny act
   * on a pending request, revoke on a pending or approved one; a request already decided
   * otherwise (another admin was first) is stale_version. Approving verify-artist or
   * claim-artist marks the artist verified; revoking such an approved request takes it back.
   */
  async decide(
    actor: Principal,
    id: string,
    decision: keyof typeof DECISIONS,
    notes?: string,
  ): Promise<BackstageRequestDto> {
    const { from, to } = DECISIONS[decision];
    const now = this.clock.now();
    return this.repo.transaction(async (tx) => {
      // locked: what we decide from is what the request is until we commit
      const before = await this.repo.lock(tx, id);
      if (!before) throw new AppError(BackstageErrors.requestNotFound);
      if (!from.includes(before.status)) {
        throw new AppError(GeneralErrors.staleVersion, {
          message: `This request is ${before.status}; only a ${from.join(' or ')} request can be ${to}.`,
          context: { status: before.status },
        });
      }
      const stamp = { by: actor.userId, notes: notes ?? null, at: now };
      const after = (await this.repo.decide(tx, id, from, to, stamp))!;
      if (after.artistId && after.type !== 'become_artist') {
        if (to === 'approved') await this.artists.markVerified(tx, after.artistId, true);
        if (to === 'revoked' && before.status === 'approved')
          await this.artists.markVerified(tx, after.artistId, false);
      }
      await this.audit.record(tx, {
        actorId: actor.userId,
        action: `backstage.${decision}`,
        targetType: 'backstage_request',
        targetId: id,
        reason: notes ?? null,
        data: { user_id: after.userId, type: toDto(after).type, from: before.status },
        at: now,
      });
      return toDto(after);
    });
  }
}
