import { Body, Controller, Get, Headers, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PaymentErrors } from '../../platform/payments/payments.errors';
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
  @Access.public()
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
      'Checked in order: plan_not_found, free_plan_no_payment, already_subscribed, then the payment. The plan changes when Stripe confirms the subscription (webhook), so the answer shows it as `pending_plan_id`. Changing plans resets the request-token balance to the new allowance.',
  })
  @ApiErrors(
    BillingErrors.planNotFound,
    BillingErrors.freePlanNoPayment,
    BillingErrors.alreadySubscribed,
    PaymentErrors.cardDeclined,
    PaymentErrors.insufficientFunds,
    PaymentErrors.expiredCard,
    PaymentErrors.invalidCard,
    PaymentErrors.paymentFailed,
    PaymentErrors.paymentProcessingError,
    PaymentErrors.paymentInitializationFailed,
  )
  subscribe(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: SubscribeDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<SubscriptionDto> {
    return this.subscriptions.subscribe(principal, dto, key);
  }
}
