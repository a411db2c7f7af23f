import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import { AccessErrors } from '../../platform/access/access.errors';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { PaymentErrors } from '../../platform/payments/payments.errors';
import { StorageService } from '../../platform/storage/storage.service';
import { BillingErrors } from '../billing/billing.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import {
  CertificateDto,
  ConfirmPurchaseDto,
  CreatePurchaseDto,
  DownloadLinkDto,
  DownloadQueryDto,
  LicenseDto,
  LicenseListDto,
  OfferSetDto,
  PlanDownloadDto,
  PurchaseDto,
  PurchaseListDto,
  RevokeLicenseDto,
  AdminRefundDto,
  SetOffersDto,
} from './dto/licensing.dto';
import { LicensesService } from './licenses.service';
import { LicenseErrors, PurchaseErrors, RefundErrors } from './licensing.errors';
import { OffersService } from './offers.service';
import { PurchaseReplay } from './purchase-replay';
import { PurchasesService } from './purchases.service';

const PAYMENT_ERRORS = [
  PaymentErrors.cardDeclined,
  PaymentErrors.insufficientFunds,
  PaymentErrors.expiredCard,
  PaymentErrors.invalidCard,
  PaymentErrors.paymentFailed,
  PaymentErrors.paymentProcessingError,
];

@ApiTags('licensing')
@Controller('tracks')
export class TrackSalesController {
  constructor(
    private readonly offers: OffersService,
    private readonly licenses: LicensesService,
  ) {}

  @Get(':id/license-offers')
  @Access.public({ scope: 'catalog:read' })
  @ETagged()
  @ApiOperation({
    summary: 'What a track sells: price per license type, and the total with the 15 % platform fee',
  })
  @ApiErrors(TracksErrors.trackNotFound)
  get(@Param('id', IdPipe) id: string, @OptionalPrincipal() principal?: Principal): Promise<OfferSetDto> {
    return this.offers.get(id, principal);
  }

  @Put(':id/license-offers')
  @Access.user('commerce:write')
  @ETagged()
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Set the whole offer set (owner): basic, premium, unlimited leases and exclusive',
  })
  @ApiErrors(TracksErrors.trackNotFound)
  set(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: SetOffersDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<OfferSetDto> {
    return this.offers.set(principal, id, dto, ifMatch);
  }

  @Post(':id/plan-download')
  @Access.user('commerce:write')
  @ApiOperation({
    summary: 'Download a beat with a paid plan: a basic license at price 0 (reused next time) and a link',
    description:
      'Checked in order: track_not_found, cannot_purchase_own_track, exclusive_already_sold, entitlement_required (explorer, or a past-due subscription), track_not_for_sale (no basic lease offered).',
  })
  @ApiErrors(
    TracksErrors.trackNotFound,
    PurchaseErrors.cannotPurchaseOwnTrack,
    PurchaseErrors.exclusiveAlreadySold,
    BillingErrors.entitlementRequired,
    PurchaseErrors.trackNotForSale,
  )
  planDownload(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
  ): Promise<PlanDownloadDto> {
    return this.licenses.planDownload(principal, id);
  }
}

const REFUND_FLOW =
  '202 with the purchase `refunding`: the refund is claimed in the database, then made at Stripe by a job (idempotency key per purchase: one refund, however many requests). Stripe’s charge.refunded revokes the license (links and certificate say revoked), puts an exclusive back on sale, cancels the sale’s untransferred earnings and reverses transferred ones (a reversal Stripe refuses leaves the producer a negative balance, recovered from later earnings).';

@ApiTags('licensing')
@Controller('purchases')
export class PurchasesController {
  constructor(private readonly purchases: PurchasesService) {}

  @Post()
  @Access.user('commerce:write')
  @Idempotent({ secrets: { fields: ['client_secret'], replay: { reread: PurchaseReplay } } })
  @ApiOperation({
    summary: 'Start a purchase: a Stripe PaymentIntent for price + 15 % platform fee',
    description:
      'Checked in order: track_not_found, cannot_purchase_own_track, exclusive_already_sold, track_not_for_sale, already_purchased, price_changed (with `current_price_cents`). Confirm within 30 minutes (LIMIT_CHECKOUT_SECONDS): then the purchase expires and its PaymentIntent is canceled at Stripe, so the `client_secret` can no longer pay; a payment that still succeeds is refunded once and the purchase ends `refunded`, with no license. With an `Idempotency-Key`, a retry of a request that created its purchase answers that purchase as it is now (as GET /purchases/:id: the `client_secret` is read again, never kept for replays; null once no payment is due), with `Idempotent-Replayed: true`.',
  })
  @ApiErrors(
    TracksErrors.trackNotFound,
    PurchaseErrors.cannotPurchaseOwnTrack,
    PurchaseErrors.exclusiveAlreadySold,
    PurchaseErrors.trackNotForSale,
    PurchaseErrors.alreadyPurchased,
    PurchaseErrors.priceChanged,
    PaymentErrors.paymentInitializationFailed,
  )
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreatePurchaseDto): Promise<PurchaseDto> {
    return this.purchases.create(principal, dto);
  }

  @Post(':id/confirm')
  @HttpCode(HttpStatus.OK)
  @Access.user('commerce:write')
  @Idempotent({ secrets: { fields: ['client_secret'], replay: { reread: PurchaseReplay } } })
  @ApiOperation({
    summary: 'Pay: confirm the PaymentIntent with a payment method; the license is issued when it succeeds',
    description:
      'A paid purchase answers its state again (no second charge). A payment that succeeds for a track whose exclusive was sold meanwhile is refunded and ends `refunded`. A payment that needs the buyer’s action (3-D Secure) leaves the purchase `requires_payment` with its `client_secret`, for Stripe.js. With an `Idempotency-Key`, a retry of a completed confirmation answers the purchase as it is now (as GET /purchases/:id: the `client_secret` is read again, never kept for replays), with `Idempotent-Replayed: true`.',
  })
  @ApiErrors(PurchaseErrors.purchaseNotFound, PurchaseErrors.checkoutExpired, ...PAYMENT_ERRORS)
  confirm(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: ConfirmPurchaseDto,
  ): Promise<PurchaseDto> {
    return this.purchases.confirm(principal, id, dto.payment_method);
  }

  @Get()
  @Access.user('commerce:read')
  @ApiOperation({ summary: 'Your purchases, newest first' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<PurchaseListDto> {
    return this.purchases.list(principal, query);
  }

  @Get(':id')
  @Access.user('commerce:read')
  @ApiOperation({
    summary: 'One of your purchases',
    description:
      'A checkout past its 30-minute window reads as `expired` (its PaymentIntent is then canceled).',
  })
  @ApiErrors(PurchaseErrors.purchaseNotFound)
  get(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<PurchaseDto> {
    return this.purchases.get(principal, id);
  }

  @Post(':id/refund')
  @HttpCode(HttpStatus.ACCEPTED)
  @Access.user('commerce:write')
  @ApiOperation({
    summary: 'Ask for a refund: within 24 hours of paying, before the license was downloaded',
    description: `${REFUND_FLOW} Checked in order: purchase_not_found (not the caller’s), already_refunded (refunded or being refunded), charge_disputed (a dispute is open), refund_not_eligible (never paid, or no license was issued), refund_window_expired (more than LIMIT_REFUND_WINDOW_HOURS = 24 after payment), refund_not_eligible (the file was downloaded). A download racing the request: whichever the database takes first wins, and the other is refused.`,
  })
  @ApiErrors(
    PurchaseErrors.purchaseNotFound,
    RefundErrors.alreadyRefunded,
    RefundErrors.chargeDisputed,
    RefundErrors.refundWindowExpired,
    RefundErrors.refundNotEligible,
  )
  refund(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<PurchaseDto> {
    return this.purchases.requestRefund(principal, id);
  }
}

@ApiTags('admin')
@Controller('admin/purchases')
@Access.admin()
export class PurchasesAdminController {
  constructor(private readonly purchases: PurchasesService) {}

  @Post(':id/refund')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Refund any purchase, any time, with a reason (audit-logged)',
    description: `${REFUND_FLOW} Checked in order: purchase_not_found, already_refunded, charge_disputed (the dispute decides), refund_not_eligible (never paid, or no license was issued).`,
  })
  @ApiErrors(
    PurchaseErrors.purchaseNotFound,
    RefundErrors.alreadyRefunded,
    RefundErrors.chargeDisputed,
    RefundErrors.refundNotEligible,
  )
  refund(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: AdminRefundDto,
  ): Promise<PurchaseDto> {
    return this.purchases.adminRefund(actor, id, dto.reason);
  }
}

@ApiTags('licensing')
@Controller()
export class LicensesController {
  constructor(
    private readonly licenses: LicensesService,
    private readonly storage: StorageService,
  ) {}

  @Get('licenses')
  @Access.user('commerce:read')
  @ApiOperation({ summary: 'Your licenses (active and revoked), newest first' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<LicenseListDto> {
    return this.licenses.list(principal, query);
  }

  @Get('licenses/verify/:certificate_number')
  @Access.anonymous()
  @ApiOperation({ summary: 'Verify a license certificate (public)' })
  @ApiErrors(LicenseErrors.licenseNotFound)
  verify(@Param('certificate_number') certificate: string): Promise<CertificateDto> {
    return this.licenses.verify(certificate);
  }

  @Get('licenses/:id')
  @Access.user('commerce:read')
  @ApiOperation({ summary: 'A license you hold, with its terms and certificate number' })
  @ApiErrors(LicenseErrors.licenseNotFound, LicenseErrors.licenseRevoked)
  get(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<LicenseDto> {
    return this.licenses.get(principal, id);
  }

  @Post('licenses/:id/download-links')
  @Access.user('commerce:write')
  @ApiOperation({ summary: 'A signed download link, valid 15 minutes' })
  @ApiErrors(LicenseErrors.licenseNotFound, LicenseErrors.licenseRevoked, RefundErrors.licenseFrozen)
  downloadLink(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
  ): Promise<DownloadLinkDto> {
    return this.licenses.downloadLink(principal, id);
  }

  @Get('downloads/:license_id')
  @Access.anonymous()
  @ApiProduces('audio/wav', 'audio/flac', 'audio/aiff')
  @ApiOperation({
    summary: 'The licensed file, through a signed link (the signature is the credential)',
    description:
      "Streams the file, or — with S3 storage and `S3_DOWNLOADS=redirect` (the default there) — answers 302 to a presigned object URL valid `S3_PRESIGN_SECONDS` (60 s). The link's own expiry, revocation and suspension rules apply first either way.",
  })
  @ApiResponse({
    status: 302,
    description: 'Redirect to a short-lived presigned URL of the file (S3 storage).',
  })
  @ApiErrors(
    LicenseErrors.downloadExpired,
    AccessErrors.accountSuspended,
    LicenseErrors.licenseRevoked,
    RefundErrors.licenseFrozen,
    LicenseErrors.licenseNotFound,
  )
  async download(
    @Param('license_id', IdPipe) licenseId: string,
    @Query() query: DownloadQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const file = await this.licenses.download(licenseId, query.expires, query.signature);
    void reply.header('Cache-Control', 'private, no-store');
    // answered here (not through Nest, which would send a second reply after a redirect)
    if (file.redirect) return reply.redirect(file.redirect, 302);
    void reply.header('Content-Type', file.contentType);
    void reply.header('Content-Disposition', `attachment; filename="${file.filename}"`);
    void reply.header('Content-Length', String(file.size));
    return reply.send(await this.storage.read(file.sha256));
  }
}

@ApiTags('admin')
@Controller('admin/licenses')
@Access.admin()
export class LicensesAdminController {
  constructor(private readonly licenses: LicensesService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'Any license by id, revoked ones included (answers, unlike GET /licenses/:id, with its status)',
  })
  @ApiErrors(LicenseErrors.licenseNotFound)
  get(@Param('id', IdPipe) id: string): Promise<LicenseDto> {
    return this.licenses.adminGet(id);
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Revoke a license (audit-logged)' })
  @ApiErrors(LicenseErrors.licenseNotFound)
  revoke(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: RevokeLicenseDto,
  ): Promise<LicenseDto> {
    return this.licenses.revoke(actor, id, dto.reason);
  }
}
