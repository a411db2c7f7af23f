import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppSecret } from '../../platform/crypto/app-secret';
import { randomToken } from '../../platform/crypto/secrets';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { newId } from '../../platform/ids';
import { decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { PlaylistErrors } from '../playlists/playlists.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import { hashAccessCode } from './access-code';
import type {
  CreatePackDto,
  CreatePackLinkDto,
  PackDto,
  PackLinkAnalyticsDto,
  PackLinkDto,
  PackLinkListDto,
  UpdatePackDto,
} from './dto/pack.dto';
import { packAccess } from './pack-access';
import { PackAnalytics } from './pack-analytics';
import { PackErrors } from './packs.errors';
import { PackNameTaken, PacksRepository, type PackLinkRow, type PackRow } from './packs.repository';

/** 18 random bytes: 144 bits, 24 base64url characters. */
const SLUG_BYTES = 18;

/**
 * Packs as their producer sees them: the pack, its ordered tracks, its links and what the links'
 * visitors did. Every route goes through packAccess (the owner; anyone else: pack_not_found).
 */
@Injectable()
export class PacksService {
  constructor(
    private readonly repo: PacksRepository,
    private readonly stats: PackAnalytics,
    private readonly secret: AppSecret,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** pack_name_conflict; validation_failed at LIMIT_PACKS_PER_USER (held under the owner's lock). */
  async create(principal: Principal, dto: CreatePackDto): Promise<PackDto> {
    const id = newId('pck');
    const limit = this.config.limits.packsPerUser;
    const created = await this.named(() =>
      this.repo.create(
        {
          id,
          ownerId: principal.userId,
          name: dto.name,
          description: dto.description ?? null,
          at: this.clock.now(),
        },
        limit,
      ),
    );
    if (!created) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { name: [`you have ${limit} packs, the most one producer may have (LIMIT_PACKS_PER_USER)`] },
      });
    }
    return toPackDto((await this.repo.pack(id))!);
  }

  async list(principal: Principal, query: PageQueryDto): Promise<Page<PackDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.packsOf(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, (p) => ({ at: p.createdAt, id: p.id }), toPackDto);
  }

  async get(principal: Principal, id: string): Promise<PackDto> {
    return toPackDto(await this.mine(principal, id));
  }

  async update(principal: Principal, id: string, dto: UpdatePackDto): Promise<PackDto> {
    await this.mine(principal, id);
    await this.named(() => this.repo.update(id, dto, this.clock.now()));
    return this.get(principal, id);
  }

  /** Its tracks and links go with it (a link's slug then answers pack_link_not_found). */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.mine(principal, id);
    await this.repo.delete(id);
  }

  /**
   * Sets the exact ordered set. Checked in order: pack_not_found, validation_failed (a track
   * twice, more than LIMIT_PACK_TRACKS), track_not_found (a track the caller neither owns nor is
   * credited on) — under the pack's row lock, so concurrent sets take turns.
   */
  async setTracks(principal: Principal, id: string, trackIds: string[]): Promise<PackDto> {
    await this.mine(principal, id);
    const limit = this.config.limits.packTracks;
    if (new Set(trackIds).size !== trackIds.length)
      throw new AppError(GeneralErrors.validationFailed, { errors: { track_ids: ['each track once'] } });
    if (trackIds.length > limit) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { track_ids: [`at most ${limit} tracks in a pack (LIMIT_PACK_TRACKS)`] },
      });
    }
    await this.repo.transaction(async (tx) => {
      const pack = packAccess.assert(principal, 'manage', await this.repo.lockPack(tx, id));
      const credited = new Set(await this.repo.creditedTracks(tx, pack.ownerId, trackIds));
      const missing = trackIds.filter((t) => !credited.has(t));
      if (missing.length) throw new AppError(TracksErrors.trackNotFound, { context: { track_ids: missing } });
      await this.repo.setTracks(tx, id, trackIds, this.clock.now());
    });
    return this.get(principal, id);
  }

  /** Reorders: exactly the pack's tracks, each once (else track_set_mismatch), under its lock. */
  async reorder(principal: Principal, id: string, trackIds: string[]): Promise<PackDto> {
    await this.mine(principal, id);
    await this.repo.transaction(async (tx) => {
      const pack = packAccess.assert(principal, 'manage', await this.repo.lockPack(tx, id));
      const current = new Set(pack.trackIds);
      const same =
        trackIds.length === current.size &&
        new Set(trackIds).size === trackIds.length &&
        trackIds.every((t) => current.has(t));
      if (!same) throw new AppError(PlaylistErrors.trackSetMismatch);
      await this.repo.setTracks(tx, id, trackIds, this.clock.now());
    });
    return this.get(principal, id);
  }

  // ---- links ------------------------------------------------------------------------------------

  async createLink(principal: Principal, packId: string, dto: CreatePackLinkDto): Promise<PackLinkDto> {
    await this.mine(principal, packId);
    const id = newId('pkl');
    const link = {
      id,
      packId,
      slug: randomToken(SLUG_BYTES),
      label: dto.label,
      accessCodeHash: dto.access_code ? hashAccessCode(this.secret.value, id, dto.access_code) : null,
      expiresAt: dto.expires_at ? new Date(dto.expires_at) : null,
      downloads: dto.downloads,
      maxDownloads: dto.max_downloads ?? null,
      createdAt: this.clock.now(),
    };
    await this.repo.createLink(link);
    return this.toLinkDto({ ...link, downloadsUsed: 0, revokedAt: null });
  }

  async links(principal: Principal, packId: string): Promise<PackLinkListDto> {
    await this.mine(principal, packId);
    return { data: (await this.repo.links(packId)).map((l) => this.toLinkDto(l)) };
  }

  /** Revokes (idempotent): the slug answers pack_link_not_found from now on. */
  async revokeLink(principal: Principal, packId: string, linkId: string): Promise<void> {
    await this.mine(principal, packId);
    if (!(await this.repo.revokeLink(packId, linkId, this.clock.now())))
      throw new AppError(PackErrors.packLinkNotFound);
  }

  async analytics(principal: Principal, packId: string, linkId: string): Promise<PackLinkAnalyticsDto> {
    await this.mine(principal, packId);
    if (!(await this.repo.link(packId, linkId))) throw new AppError(PackErrors.packLinkNotFound);
    return this.stats.read(linkId);
  }

  private async mine(principal: Principal, id: string): Promise<PackRow> {
    return packAccess.assert(principal, 'manage', await this.repo.pack(id));
  }

  private async named<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (e instanceof PackNameTaken) throw new AppError(PackErrors.packNameConflict);
      throw e;
    }
  }

  private toLinkDto(l: PackLinkRow): PackLinkDto {
    return {
      id: l.id,
      pack_id: l.packId,
      label: l.label,
      slug: l.slug,
      url: `${this.config.appUrl}/api/v1/pack-links/${l.slug}/page`,
      has_access_code: l.accessCodeHash !== null,
      expires_at: l.expiresAt?.toISOString() ?? null,
      downloads: l.downloads,
      max_downloads: l.maxDownloads,
      downloads_used: l.downloadsUsed,
      revoked_at: l.revokedAt?.toISOString() ?? null,
      created_at: l.createdAt.toISOString(),
    };
  }
}

const toPackDto = (p: PackRow): PackDto => ({
  id: p.id,
  name: p.name,
  description: p.description,
  track_ids: p.trackIds,
  track_count: p.trackIds.length,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});
