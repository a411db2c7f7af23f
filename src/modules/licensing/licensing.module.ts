import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { EarningsModule } from '../earnings/earnings.module';
import { SplitSheetsModule } from '../split-sheets/split-sheets.module';
import { TracksModule } from '../tracks/tracks.module';
import { Fulfilment } from './fulfilment';
import { LicensesService } from './licenses.service';
import {
  LicensesAdminController,
  LicensesController,
  PurchasesAdminController,
  PurchasesController,
  TrackSalesController,
} from './licensing.controller';
import { LicensingRepository } from './licensing.repository';
import { OffersService } from './offers.service';
import { PurchaseReplay } from './purchase-replay';
import { PurchasesService } from './purchases.service';

@Module({
  imports: [TracksModule, BillingModule, EarningsModule, SplitSheetsModule],
  controllers: [
    TrackSalesController,
    PurchasesController,
    PurchasesAdminController,
    LicensesController,
    LicensesAdminController,
  ],
  providers: [
    LicensingRepository,
    Fulfilment,
    OffersService,
    PurchasesService,
    PurchaseReplay,
    LicensesService,
  ],
  exports: [Fulfilment],
})
export class LicensingModule {}
