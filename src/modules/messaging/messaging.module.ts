import { Module } from '@nestjs/common';
import { SocialModule } from '../social/social.module';
import { MessagingController } from './messaging.controller';
import { MessagingRepository } from './messaging.repository';
import { MessagingService } from './messaging.service';

/** Direct conversations and messages; blocks come from the social module, delivery from realtime. */
@Module({
  imports: [SocialModule],
  controllers: [MessagingController],
  providers: [MessagingRepository, MessagingService],
})
export class MessagingModule {}
