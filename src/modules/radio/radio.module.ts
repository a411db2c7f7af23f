import { Module } from '@nestjs/common';
import { LibraryModule } from '../library/library.module';
import { TracksModule } from '../tracks/tracks.module';
import { LiveStreams } from './live-streams';
import { ListensController, RadioController } from './radio.controller';
import { RadioRepository } from './radio.repository';
import { RadioService } from './radio.service';
import { StationsService } from './stations.service';

/**
 * Radio: stations seeded by a genre, an artist or a track; sessions, skips and listens; the one
 * live stream per user across all listening (`LiveStreams`, used by on-demand playback too).
 */
@Module({
  imports: [TracksModule, LibraryModule],
  controllers: [RadioController, ListensController],
  providers: [RadioRepository, RadioService, StationsService, LiveStreams],
  exports: [LiveStreams],
})
export class RadioModule {}
