import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CATALOGUE } from './catalogue';
import { AppConfig } from './config/config';
import { AccountsModule } from './modules/accounts/accounts.module';
import { AdminModule } from './modules/admin/admin.module';
import { ArtistsModule } from './modules/artists/artists.module';
import { AudioModule } from './modules/audio/audio.module';
import { AuthModule } from './modules/auth/auth.module';
import { BackstageModule } from './modules/backstage/backstage.module';
import { BeatRequestsModule } from './modules/beat-requests/beat-requests.module';
import { BillingModule } from './modules/billing/billing.module';
import { LibraryModule } from './modules/library/library.module';
import { LicensingModule } from './modules/licensing/licensing.module';
import { PlaylistsModule } from './modules/playlists/playlists.module';
import { MessagingModule } from './modules/messaging/messaging.module';
import { SocialModule } from './modules/social/social.module';
import { StripeWebhooksModule } from './modules/stripe-webhooks/stripe-webhooks.module';
import { TracksModule } from './modules/tracks/tracks.module';
import { RadioModule } from './modules/radio/radio.module';
import { ListeningModule } from './modules/listening/listening.module';
import { EarningsModule } from './modules/earnings/earnings.module';
import { PacksModule } from './modules/packs/packs.module';
import { SplitSheetsModule } from './modules/split-sheets/split-sheets.module';
import { AccessGuard } from './platform/access/access.guard';
import { PlatformModule } from './platform/platform.module';
import { RateLimitGuard } from './platform/rate-limit/rate-limit.guard';

/**
 * Wires the modules. Guards run in order: who is calling, then their request budget.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(config, CATALOGUE),
        AuthModule,
        AccountsModule,
        AdminModule,
        BillingModule,
        ArtistsModule,
        AudioModule,
        TracksModule,
        LicensingModule,
        StripeWebhooksModule,
        BeatRequestsModule,
        BackstageModule,
        LibraryModule,
        PlaylistsModule,
        SocialModule,
        MessagingModule,
        RadioModule,
        ListeningModule,
        EarningsModule,
        PacksModule,
        SplitSheetsModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
      ],
    };
  }
}
