import { Module } from '@nestjs/common';
import { BillingController } from './billing.controller';
import { BillingRepository } from './billing.repository';
import { BillingService } from './billing.service';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  controllers: [BillingController],
  providers: [BillingRepository, BillingService, SubscriptionsRepository, SubscriptionsService],
  exports: [BillingService, SubscriptionsService],
})
export class BillingModule {}
