import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuthModule } from '../auth/auth.module';
import { BillingModule } from '../billing/billing.module';
import { AdminBootstrap } from './admin.bootstrap';
import { AdminFallbackController } from './admin-fallback.controller';
import { AdminController } from './admin.controller';
import { AdminRepository } from './admin.repository';
import { AdminService } from './admin.service';

@Module({
  imports: [AuthModule, AccountsModule, BillingModule],
  controllers: [AdminController, AdminFallbackController],
  providers: [AdminRepository, AdminService, AdminBootstrap],
})
export class AdminModule {}
