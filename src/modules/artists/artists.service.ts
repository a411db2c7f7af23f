import { Injectable } from '@nestjs/common';
import type { Artist } from '@prisma/client';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import type { Tx } from '../../platform/database/database';
import { artistAccess } from './artist-access';
import { ArtistsErrors } from './artists.errors';
import { ArtistsRepository } from './artists.repository';
import type { ArtistDto, CreateArtistDto, UpdateArtistDto } from './dto/artist.dto';

export const toArtistDto = (a: Artist): ArtistDto => ({
  id: a.id,
  user_id: a.userId,
  name: a.name,
  slug: a.slug,
  verified: a.verified,
  bio: a.bio,
  version: a.version,
  created_at: a.createdAt.toISOString(),
});

@Injectable()
export class ArtistsService {
  constructor(
    private readonly repo: ArtistsRepository,
    private readonly clock: Clock,
  ) {}

  async create(principal: Principal, dto: CreateArtistDto): Promise<ArtistDto> {
    return toArtistDto(
      await this.repo.create({
        userId: principal.userId,
        name: dto.name,
        slug: dto.slug,
        bio: dto.bio,
        at: this.clock.now(),
      }),
    );
  }

  async get(idOrSlug: string): Promise<ArtistDto> {
    const artist = await this.repo.findByIdOrSlug(idOrSlug);
    if (!artist) throw new AppError(ArtistsErrors.artistNotFound);
    return toArtistDto(artist);
  }

  /** Only the artist's own user edits it (admins do not rewrite profiles); If-Match guards against lost updates. */
  async update(principal: Principal, id: string, dto: UpdateArtistDto, ifMatch?: number): Promise<ArtistDto> {
    const artist = artistAccess.assert(principal, 'edit', await this.repo.findByIdOrSlug(id));
    const updated = await this.repo.update(artist.id, dto, ifMatch, this.clock.now());
    if (!updated) throw new AppError(GeneralErrors.staleVersion);
    return toArtistDto(updated);
  }

  findByIdOrSlug(idOrSlug: string, tx?: Tx): Promise<Artist | null> {
    return this.repo.findByIdOrSlug(idOrSlug, tx);
  }

  findByUser(userId: string): Promise<Artist | null> {
    return this.repo.findByUser(userId);
  }

  /**
   * Producer program: an approved verify or claim request marks the artist verified; revoking
   * that request takes it back.
   */
  async markVerified(tx: Tx, artistId: string, verified = true): Promise<void> {
    if (!(await this.repo.setVerified(tx, artistId, verified, this.clock.now())))
      throw new AppError(ArtistsErrors.artistNotFound);
  }
}
