import { Injectable } from '@nestjs/common';
import type { LicenseOffer } from '@prisma/client';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { trackAccess } from '../tracks/track-access';
import { TracksService } from '../tracks/tracks.service';
import type { OfferDto, OfferSetDto, SetOffersDto } from './dto/licensing.dto';
import { LicensingRepository } from './licensing.repository';

/** The platform fee on top of a price, in integer cents (LIMIT_PLATFORM_FEE_BPS, 15 %). */
export const platformFee = (priceCents: number, bps: number): number =>
  Math.round((priceCents * bps) / 10_000);

@Injectable()
export class OffersService {
  constructor(
    private readonly repo: LicensingRepository,
    private readonly tracks: TracksService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  toOfferDto(o: LicenseOffer): OfferDto {
    return {
      type: o.type,
      price_cents: o.priceCents,
      currency: o.currency,
      total_cents: o.priceCents + platformFee(o.priceCents, this.config.limits.platformFeeBps),
    };
  }

  async get(trackId: string, principal: Principal | undefined): Promise<OfferSetDto> {
    const track = await this.tracks.visibleTrack(trackId, principal);
    return {
      track_id: track.id,
      offers: (await this.repo.offers(track.id)).map((o) => this.toOfferDto(o)),
      version: track.offersVersion,
    };
  }

  /** The owner replaces the whole set; If-Match guards it. External-link tracks are not sold. */
  async set(
    principal: Principal,
    trackId: string,
    dto: SetOffersDto,
    ifMatch?: number,
  ): Promise<OfferSetDto> {
    const track = trackAccess.assert(principal, 'sell', await this.tracks.find(trackId));
    if (track.source !== 'upload') {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { offers: ['external-link tracks cannot be sold'] },
      });
    }
    const ok = await this.repo.replaceOffers(
      track.id,
      dto.offers.map((o) => ({ type: o.type, priceCents: o.price_cents, currency: o.currency })),
      ifMatch,
      this.clock.now(),
    );
    if (!ok) throw new AppError(GeneralErrors.staleVersion);
    return this.get(trackId, principal);
  }
}
