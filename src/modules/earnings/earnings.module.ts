import { Module } from '@nestjs/common';
import { TracksModule } from '../tracks/tracks.module';
import { AdminEarningsController, EarningsController } from './earnings.controller';
import { EarningsRepository } from './earnings.repository';
import { EarningsService } from './earnings.service';
import { EarningsLedger } from './ledger';
import { TransfersService } from './transfers.service';

/**
 * Earnings: the ledger of what each credited person is owed per sale, payout accounts (Stripe
 * Connect Express), transfers and their reversals, collaborator credits' acceptance, and what
 * producers and admins see of it. Licensing's fulfilment writes the legs through EarningsLedger.
 */
@Module({
  imports: [TracksModule],
  controllers: [EarningsController, AdminEarningsController],
  providers: [EarningsRepository, EarningsService, EarningsLedger, TransfersService],
  exports: [EarningsLedger, EarningsService],
})
export class EarningsModule {}
