import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { MeController } from './me.controller';

@Module({
  imports: [AuthModule],
  controllers: [MeController],
  providers: [AccountsRepository, AccountsService],
  exports: [AccountsService],
})
export class AccountsModule {}
