import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { AccessErrors } from '../../platform/access/access.errors';
import { AuditRepository } from '../../platform/audit/audit.repository';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppSecret } from '../../platform/crypto/app-secret';
import { hmac, safeEqual } from '../../platform/crypto/secrets';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { decodeCursor, Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { StorageService } from '../../platform/storage/storage.service';
import { BillingService } from '../billing/billing.service';
import { BillingErrors } from '../billing/billing.errors';
import { SplitSheetsService } from '../split-sheets/split-sheets.service';
import { trackAccess } from '../tracks/track-access';
import { TracksService } from '../tracks/tracks.service';
import type { CertificateDto, DownloadLinkDto, LicenseDto, PlanDownloadDto } from './dto/licensing.dto';
import { LICENSE_TERMS } from './license-terms';
import { licenseAccess } from './license-access';
import { LicenseErrors, PurchaseErrors, RefundErrors } from './licensing.errors';
import { LicenseRow, LicensingRepository } from './licensing.repository';

const toLicenseDto = (l: LicenseRow): LicenseDto => ({
  id: l.id,
  certificate_number: l.certificateNumber,
  track_id: l.trackId,
  track_title: l.track.title,
  holder_id: l.holderId,
  type: l.type,
  status: l.status,
  source: l.source,
  price_cents: l.priceCents,
  currency: l.currency,
  terms: LICENSE_TERMS[l.type],
  issued_at: l.issuedAt.toISOString(),
  revoked_at: l.revokedAt?.toISOString() ?? null,
});

const CONTENT_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  aiff: 'audio/aiff',
  aifc: 'audio/aiff',
  flac: 'audio/flac',
};

export interface Download {
  sha256: string;
  size: number;
  contentType: string;
  filename: string;
  /** S3 with S3_DOWNLOADS=redirect: a short-lived presigned URL of the object; else null (streamed) */
  redirect: string | null;
}

@Injectable()
export class LicensesService {
  constructor(
    private readonly repo: LicensingRepository,
    private readonly tracks: TracksService,
    private readonly billing: BillingService,
    private readonly storage: StorageService,
    private readonly audit: AuditRepository,
    private readonly secret: AppSecret,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly splitSheets: SplitSheetsService,
  ) {}

  async list(principal: Principal, query: PageQueryDto): Promise<Page<LicenseDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.licenses(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(
      licenseAccess.filter(principal, 'read', rows),
      limit,
      (l) => ({ at: l.issuedAt, id: l.id }),
      toLicenseDto,
    );
  }

  /** The holder's (or an admin's) license; license_revoked once it was revoked. */
  async get(principal: Principal, id: string): Promise<LicenseDto> {
    return toLicenseDto(this.usable(licenseAccess.assert(principal, 'read', await this.repo.license(id))));
  }

  /**
   * Public certificate check: anyone holding a certificate number can verify it. It shows the
   * split sheet the license froze when it was issued (null: the track had none then).
   */
  async verify(certificateNumber: string): Promise<CertificateDto> {
    const l = await this.repo.licenseByCertificate(certificateNumber.toUpperCase());
    if (!l) throw new AppError(LicenseErrors.licenseNotFound);
    return {
      certificate_number: l.certificateNumber,
      valid: l.status === 'active',
      status: l.status,
      type: l.type,
      track_id: l.trackId,
      track_title: l.track.title,
      holder_name: l.holder.displayName,
      issued_at: l.issuedAt.toISOString(),
      split_sheet: await this.splitSheets.frozen(l.id),
    };
  }

  /** A signed link to the file, valid LIMIT_DOWNLOAD_LINK_SECONDS (15 min). */
  async downloadLink(principal: Principal, id: string): Promise<DownloadLinkDto> {
    const license = this.usable(licenseAccess.assert(principal, 'download', await this.repo.license(id)));
    if (await this.repo.licenseFrozen(license.id)) throw new AppError(RefundErrors.licenseFrozen);
    return this.link(license.id);
  }

  private link(licenseId: string): DownloadLinkDto {
    const expiresAt = addSeconds(this.clock.now(), this.config.limits.downloadLinkSeconds);
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const signature = hmac(this.secret.value, `download:${licenseId}:${expires}`);
    return {
      url: `${this.config.appUrl}/api/v1/downloads/${licenseId}?expires=${expires}&signature=${signature}`,
      expires_at: expiresAt.toISOString(),
    };
  }

  /**
   * Redeems a signed link: forbidden for a signature that is not ours, download_expired past its
   * expiry, account_suspended when its holder is suspended, license_revoked for a revoked
   * license (or one being refunded), license_frozen while its payment is disputed; otherwise the
   * file, its first download recorded.
   */
  async download(licenseId: string, expires: number, signature: string): Promise<Download> {
    if (!safeEqual(signature, hmac(this.secret.value, `download:${licenseId}:${expires}`))) {
      throw new AppError(GeneralErrors.forbidden);
    }
    if (expires * 1000 <= this.clock.nowMs()) throw new AppError(LicenseErrors.downloadExpired);
    const license = await this.repo.license(licenseId);
    if (!license) throw new AppError(LicenseErrors.licenseNotFound);
    // a link signed before its holder was suspended stops working with the suspension
    if (license.holder.status === 'suspended') throw new AppError(AccessErrors.accountSuspended);
    this.usable(license);
    // the first download ends the buyer's own refund; a refund claimed or a dispute open stops it
    const recorded = await this.repo.recordDownload(licenseId, this.clock.now());
    if (recorded === 'frozen') throw new AppError(RefundErrors.licenseFrozen);
    if (recorded !== 'ok') throw new AppError(LicenseErrors.licenseRevoked);
    // a license reaches its track's file whatever the track's visibility
    const track = await this.tracks.find(license.trackId);
    if (!track?.audioSha256) throw new AppError(LicenseErrors.licenseNotFound);
    const contentType = CONTENT_TYPES[track.format ?? ''] ?? 'application/octet-stream';
    const filename = `${track.title.replace(/[^\w .-]+/g, '_')}.${track.format === 'aifc' ? 'aiff' : (track.format ?? 'bin')}`;
    return {
      sha256: track.audioSha256,
      size: Number(track.audioFile?.sizeBytes ?? 0),
      contentType,
      filename,
      redirect: await this.storage.downloadUrl(
        track.audioSha256,
        { filename, contentType },
        this.clock.now(),
      ),
    };
  }

  /** Admin: any license by id, revoked ones included (the admin console's lookup). */
  async adminGet(id: string): Promise<LicenseDto> {
    const license = await this.repo.license(id);
    if (!license) throw new AppError(LicenseErrors.licenseNotFound);
    return toLicenseDto(license);
  }

  /** Admin: revoke a license, with a reason, in the audit log. */
  async revoke(actor: Principal, id: string, reason: string): Promise<LicenseDto> {
    licenseAccess.assert(actor, 'revoke', await this.repo.license(id));
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      // conditional on the license being active: revoked once, one audit entry
      if (await this.repo.revokeLicenses(tx, { id }, `admin: ${reason}`, now)) {
        await this.audit.record(tx, {
          actorId: actor.userId,
          action: 'license.revoke',
          targetType: 'license',
          targetId: id,
          reason,
          at: now,
        });
      }
    });
    return toLicenseDto((await this.repo.license(id))!);
  }

  /**
   * A paid-plan subscriber downloads a beat that offers a basic lease without paying for it:
   * a basic license at price 0 (reused on the next download) and a link. Checked in order:
   * track_not_found, cannot_purchase_own_track, exclusive_already_sold, entitlement_required,
   * track_not_for_sale.
   */
  async planDownload(principal: Principal, trackId: string): Promise<PlanDownloadDto> {
    const track = await this.tracks.visibleTrack(trackId, principal);
    if (trackAccess.can(principal, 'credited', track))
      throw new AppError(PurchaseErrors.cannotPurchaseOwnTrack);
    if (await this.repo.hasActiveExclusive(track.id)) throw new AppError(PurchaseErrors.exclusiveAlreadySold);
    const entitlement = await this.billing.entitlement(principal.userId);
    if (!entitlement.paid || entitlement.pastDue) {
      throw new AppError(BillingErrors.entitlementRequired, {
        context: {
          feature: 'plan_downloads',
          plan_id: entitlement.planId,
          upgrade_required: true,
          past_due: entitlement.pastDue,
        },
      });
    }
    const offer = track.source === 'upload' ? await this.repo.offer(track.id, 'basic') : null;
    if (!offer) throw new AppError(PurchaseErrors.trackNotForSale);

    const licenseId = await this.repo.transaction(async (tx) => {
      await this.repo.lockTrackSales(tx, track.id);
      if (await this.repo.hasActiveExclusive(track.id, tx))
        throw new AppError(PurchaseErrors.exclusiveAlreadySold);
      const existing = await this.repo.activeLicense(principal.userId, track.id, 'basic', tx);
      if (existing) return existing.id;
      const issued = await this.repo.insertLicense(tx, {
        purchaseId: null,
        holderId: principal.userId,
        trackId: track.id,
        type: 'basic',
        priceCents: 0,
        currency: offer.currency,
        source: 'plan',
        at: this.clock.now(),
      });
      if (issued) await this.splitSheets.freeze(tx, issued.id, track.id);
      return issued?.id ?? (await this.repo.activeLicense(principal.userId, track.id, 'basic', tx))!.id;
    });
    return { license: toLicenseDto((await this.repo.license(licenseId))!), download: this.link(licenseId) };
  }

  private usable(license: LicenseRow): LicenseRow {
    if (license.status === 'revoked') {
      throw new AppError(LicenseErrors.licenseRevoked, {
        context: { revoked_at: license.revokedAt?.toISOString() },
      });
    }
    return license;
  }
}
