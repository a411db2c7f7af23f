import { Body, Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PaymentErrors } from '../../platform/payments/payments.errors';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdempotencyErrors } from '../../platform/idempotency/idempotency.errors';
import { BillingErrors } from './billing.errors';
import { BillingService } from './billing.service';
import { PlanListDto } from './dto/plan.dto';
import { SubscribeDto, SubscriptionDto } from './dto/subscription.dto';
import { SubscriptionsService } from './subscriptions.service';

@ApiTags('billing')
@Controller()
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  @Get('plans')
  @Access.anonymous()
  @ApiOperation({ summary: 'The plans, cheapest first (prices in integer cents)' })
  async plans(): Promise<PlanListDto> {
    return { data: await this.billing.plans() };
  }

  @Get('me/subscription')
  @Access.user('commerce:read')
  @ApiOperation({ summary: 'Your plan and subscription (status none when you never subscribed)' })
  subscription(@CurrentPrincipal() principal: Principal): Promise<SubscriptionDto> {
    return this.subscriptions.mine(principal.userId);
  }

  @Post('billing/subscription')
  @Access.user('commerce:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Subscribe to a paid plan (or switch plans): creates the Stripe customer and subscription',
    description:
      "Checked in order: plan_not_found, free_plan_no_payment, already_subscribed (the plan is already yours — by a subscription, one waiting for Stripe, or an admin override), then the payment. One change per account at a time: the request is claimed in the database before Stripe is called and its id is the Stripe idempotency key, so concurrent calls make one Stripe subscription; the others get already_subscribed (same plan) or idempotency_request_in_progress (another change still running; retry in a moment). A request that died is finished by Stripe's event or by the next call after 120 s. With a live subscription, this switches its price (prorated). The plan changes when Stripe confirms (webhook), so the answer shows it as `pending_plan_id`. Changing plans resets the request-token balance to the new allowance.",
  })
  @ApiErrors(
    BillingErrors.planNotFound,
    BillingErrors.freePlanNoPayment,
    BillingErrors.alreadySubscribed,
    IdempotencyErrors.requestInProgress,
    PaymentErrors.cardDeclined,
    PaymentErrors.insufficientFunds,
    PaymentErrors.expiredCard,
    PaymentErrors.invalidCard,
    PaymentErrors.paymentFailed,
    PaymentErrors.paymentProcessingError,
    PaymentErrors.paymentInitializationFailed,
  )
  subscribe(@CurrentPrincipal() principal: Principal, @Body() dto: SubscribeDto): Promise<SubscriptionDto> {
    return this.subscriptions.subscribe(principal, dto);
  }

  @Delete('billing/subscription')
  @Access.user('commerce:write')
  @ApiOperation({
    summary: 'Cancel your subscription at the end of the current period',
    description:
      "Sets cancel_at_period_end at Stripe (claimed in the database first, like subscribing). The plan stays until the period ends and Stripe's `customer.subscription.deleted` event arrives; the answer shows `cancel_at_period_end: true`. Calling it again answers the same state. No live subscription (never subscribed, already ended, or a plan given by an admin override) → 400 bad_request; another change still running → idempotency_request_in_progress.",
  })
  @ApiErrors(
    GeneralErrors.badRequest,
    IdempotencyErrors.requestInProgress,
    PaymentErrors.paymentProcessingError,
    PaymentErrors.paymentInitializationFailed,
  )
  cancel(@CurrentPrincipal() principal: Principal): Promise<SubscriptionDto> {
    return this.subscriptions.cancel(principal);
  }
}
