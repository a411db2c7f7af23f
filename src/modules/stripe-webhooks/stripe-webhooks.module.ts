import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { EarningsModule } from '../earnings/earnings.module';
import { LicensingModule } from '../licensing/licensing.module';
import { StripeWebhooksController } from './stripe-webhooks.controller';
import { StripeWebhooksRepository } from './stripe-webhooks.repository';
import { StripeWebhooksService } from './stripe-webhooks.service';

@Module({
  imports: [BillingModule, LicensingModule, EarningsModule],
  controllers: [StripeWebhooksController],
  providers: [StripeWebhooksRepository, StripeWebhooksService],
})
export class StripeWebhooksModule {}
