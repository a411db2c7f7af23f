import { Global, Module } from '@nestjs/common';
import { EventStreamsRepository } from './event-streams.repository';
import { EventStreamsService } from './event-streams.service';
import { RealtimeController } from './realtime.controller';
import { RealtimeService } from './realtime.service';

/** The cross-instance event bus (LISTEN/NOTIFY) and the GET /me/events stream. */
@Global()
@Module({
  controllers: [RealtimeController],
  providers: [RealtimeService, EventStreamsRepository, EventStreamsService],
  exports: [RealtimeService, EventStreamsService],
})
export class RealtimeModule {}
