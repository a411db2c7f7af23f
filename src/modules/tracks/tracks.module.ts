import { Module } from '@nestjs/common';
import { ArtistsModule } from '../artists/artists.module';
import { AudioModule } from '../audio/audio.module';
import { TrackProcessing } from './track-processing';
import { TracksController } from './tracks.controller';
import { TracksRepository } from './tracks.repository';
import { TracksService } from './tracks.service';

@Module({
  imports: [ArtistsModule, AudioModule],
  controllers: [TracksController],
  providers: [TracksRepository, TracksService, TrackProcessing],
  exports: [TracksService, TracksRepository, TrackProcessing],
})
export class TracksModule {}
