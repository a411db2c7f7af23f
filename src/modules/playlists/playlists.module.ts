import { Module } from '@nestjs/common';
import { SocialModule } from '../social/social.module';
import { TracksModule } from '../tracks/tracks.module';
import { CollaborationService } from './collaboration.service';
import { PlaylistListsController, PlaylistsController } from './playlists.controller';
import { PlaylistsRepository } from './playlists.repository';
import { PlaylistsService } from './playlists.service';

/** Playlists, their ordered tracks, and collaboration (invitations and editors). */
@Module({
  imports: [TracksModule, SocialModule],
  controllers: [PlaylistsController, PlaylistListsController],
  providers: [PlaylistsRepository, PlaylistsService, CollaborationService],
})
export class PlaylistsModule {}
