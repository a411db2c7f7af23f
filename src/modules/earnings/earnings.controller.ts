import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { IdPipe } from '../../platform/http/id.pipe';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { PaymentErrors } from '../../platform/payments/payments.errors';
import {
  CreatePayoutAccountDto,
  CreditDto,
  CreditListDto,
  EarningsDto,
  EarningsEntryPageDto,
  HoldsDto,
  PayoutAccountDto,
  PayoutAccountStateDto,
  SalesDto,
  SalesQueryDto,
  TransferListDto,
} from './dto/earnings.dto';
import { EarningsErrors } from './earnings.errors';
import { EarningsService } from './earnings.service';
import { TransfersService } from './transfers.service';

const LEDGER =
  'A fulfilled sale’s amount minus the platform fee is split among the track’s credited people by the credits in force at purchase (frozen on the sale; later edits apply to later sales), in integer cents, largest remainder so the parts add up to the cent. Each part (an entry) is pending for LIMIT_EARNINGS_HOLD_DAYS (7, application clock), then available; a collaborator’s part is held until they accept the credit (a declined one is the owner’s). Currencies are never netted.';

@ApiTags('earnings')
@Controller('me')
export class EarningsController {
  constructor(
    private readonly earnings: EarningsService,
    private readonly transfers: TransfersService,
  ) {}

  @Post('payout-account')
  @Access.user('commerce:write')
  @ApiOperation({
    summary: 'Open (once) the caller’s Stripe Connect Express account and get an onboarding link',
    description:
      'The first call creates the connected account (the row is claimed first, Stripe is asked with an idempotency key per user, so concurrent calls get the same account); later calls answer the same account and a fresh onboarding link. The first country is kept. Its state changes arrive as Connect webhooks (account.updated at POST /webhooks/stripe/connect). Stripe out of reach → payment_initialization_failed.',
  })
  @ApiErrors(PaymentErrors.paymentInitializationFailed)
  openPayoutAccount(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreatePayoutAccountDto,
  ): Promise<PayoutAccountDto> {
    return this.earnings.openPayoutAccount(principal, dto.country);
  }

  @Get('payout-account')
  @Access.user('commerce:read')
  @ApiOperation({
    summary: 'The caller’s payout account as Stripe last said (account_id null before one was opened)',
  })
  payoutAccount(@CurrentPrincipal() principal: Principal): Promise<PayoutAccountStateDto> {
    return this.earnings.payoutAccount(principal);
  }

  @Get('earnings')
  @Access.user('commerce:read')
  @ApiOperation({
    summary: 'Balances per currency: pending, available, in transit, paid, held, negative',
    description: LEDGER,
  })
  balances(@CurrentPrincipal() principal: Principal): Promise<EarningsDto> {
    return this.earnings.earnings(principal);
  }

  @Get('earnings/entries')
  @Access.user('commerce:read')
  @ApiOperation({
    summary:
      'The caller’s ledger entries, newest first (cursor): each with its sale, split, transfer and reversal',
    description: LEDGER,
  })
  async entries(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<EarningsEntryPageDto> {
    return this.earnings.entries(principal, query);
  }

  @Post('earnings/transfers')
  @Access.user('commerce:write')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: '“Pay me now”: the available balance, per currency, as one Stripe transfer each',
    description:
      'Checked in order: payout_account_not_ready (no connected account, or Stripe says it cannot receive transfers yet), payout_below_minimum (no currency’s available balance, after any negative balance, reaches LIMIT_TRANSFER_MINIMUM_CENTS = 1,000). The transfer and its entries are claimed in the database first (many requests at once make one transfer), Stripe is called after with the idempotency key of the claim, and the outcome recorded: `sent`; `in_transit` when Stripe’s answer did not come (asked again with the same key by a job: never twice); `failed` when Stripe refused (the money is available again). The same runs daily for every ready producer.',
  })
  @ApiErrors(EarningsErrors.payoutAccountNotReady, EarningsErrors.payoutBelowMinimum)
  async payNow(@CurrentPrincipal() principal: Principal): Promise<TransferListDto> {
    return { data: await this.transfers.payNow(principal.userId) };
  }

  @Get('sales')
  @Access.user('commerce:read')
  @ApiOperation({
    summary: 'Sales of the caller’s tracks between `from` and `to`, grouped by day, track or license type',
    description:
      'Count, gross (what buyers paid), fee (the platform’s) and net, per group and currency; refunded sales are left out. Default: the last 30 days by day.',
  })
  sales(@CurrentPrincipal() principal: Principal, @Query() query: SalesQueryDto): Promise<SalesDto> {
    return this.earnings.sales(principal, query);
  }

  @Get('credits')
  @Access.user('commerce:read')
  @ApiOperation({
    summary: 'Credits on other producers’ tracks, and whether the caller accepted them',
    description:
      'Only the money waits for acceptance: a credit counts for everything else (submissions, Audio Recon, the own-track rules of purchases and reposts) from the moment it is made.',
  })
  async credits(@CurrentPrincipal() principal: Principal): Promise<CreditListDto> {
    return { data: await this.earnings.credits(principal) };
  }

  @Post('credits/:id/accept')
  @Access.user('commerce:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Accept a credit: its share of later sales, and of the sales held so far, is the caller’s',
  })
  @ApiErrors(EarningsErrors.creditNotFound)
  accept(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<CreditDto> {
    return this.earnings.respond(principal, id, 'accepted');
  }

  @Post('credits/:id/decline')
  @Access.user('commerce:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Decline a credit: its share of later sales, and of the sales held so far, falls to the track’s owner',
  })
  @ApiErrors(EarningsErrors.creditNotFound)
  decline(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<CreditDto> {
    return this.earnings.respond(principal, id, 'declined');
  }
}

@ApiTags('admin')
@Controller('admin/earnings')
export class AdminEarningsController {
  constructor(private readonly earnings: EarningsService) {}

  @Get('holds')
  @Access.admin()
  @ApiOperation({
    summary: 'Money waiting: on payout accounts or acceptances, failed transfers, open disputes',
  })
  holds(): Promise<HoldsDto> {
    return this.earnings.holds();
  }
}
