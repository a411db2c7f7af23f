import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ArtistsModule } from '../artists/artists.module';
import { BackstageAdminController, BackstageController } from './backstage.controller';
import { BackstageRepository } from './backstage.repository';
import { BackstageService } from './backstage.service';

/** The producer program: become, verify or claim an artist; admins decide. */
@Module({
  imports: [AccountsModule, ArtistsModule],
  controllers: [BackstageController, BackstageAdminController],
  providers: [BackstageRepository, BackstageService],
})
export class BackstageModule {}
