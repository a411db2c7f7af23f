import { Module } from '@nestjs/common';
import { RadioModule } from '../radio/radio.module';
import { TracksModule } from '../tracks/tracks.module';
import { ListeningController } from './listening.controller';
import { ListeningRepository } from './listening.repository';
import { ListeningService } from './listening.service';
import { Renditions } from './renditions';

/**
 * Listening: stream renditions (AAC in MP4, clean and voice-tagged), waveform peaks and loudness,
 * made by a step of the tracks module's processing; signed stream links and ranged media; plays
 * that count; voice tags. One live stream per user is radio's LiveStreams.
 */
@Module({
  imports: [TracksModule, RadioModule],
  controllers: [ListeningController],
  providers: [ListeningRepository, ListeningService, Renditions],
  exports: [ListeningService],
})
export class ListeningModule {}
