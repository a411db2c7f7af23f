import { Module } from '@nestjs/common';
import { TracksModule } from '../tracks/tracks.module';
import { BlocksService } from './blocks.service';
import { FeedService } from './feed.service';
import { FollowsService } from './follows.service';
import { RepostsService } from './reposts.service';
import { SocialController, UsersSocialController } from './social.controller';
import { SocialRepository } from './social.repository';

/**
 * Follows, reposts, the feed and blocks. Exports BlocksService: every module that must honour
 * blocks (messaging, playlists' invitations, radio) asks it, or uses notBlockedEitherWay().
 */
@Module({
  imports: [TracksModule],
  controllers: [UsersSocialController, SocialController],
  providers: [SocialRepository, BlocksService, FollowsService, RepostsService, FeedService],
  exports: [BlocksService],
})
export class SocialModule {}
