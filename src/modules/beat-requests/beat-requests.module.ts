import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module';
import { BillingModule } from '../billing/billing.module';
import { TracksModule } from '../tracks/tracks.module';
import { BeatRequestsController, RequestTokensController } from './beat-requests.controller';
import { BeatRequestsRepository } from './beat-requests.repository';
import { BeatRequestsService } from './beat-requests.service';
import { RequestTokensRepository } from './request-tokens.repository';
import { RequestTokensService } from './request-tokens.service';
import { SubmissionsService } from './submissions.service';

/** Beat requests paid with monthly tokens, and the producers' submissions to them. */
@Module({
  imports: [TracksModule, AudioModule, BillingModule],
  controllers: [BeatRequestsController, RequestTokensController],
  providers: [
    BeatRequestsRepository,
    BeatRequestsService,
    RequestTokensRepository,
    RequestTokensService,
    SubmissionsService,
  ],
})
export class BeatRequestsModule {}
