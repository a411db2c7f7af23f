import { Module } from '@nestjs/common';
import { FleetCheck } from './fleet-check';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { Lifecycle } from './lifecycle';

@Module({
  controllers: [HealthController],
  providers: [HealthService, Lifecycle, FleetCheck],
  exports: [Lifecycle],
})
export class HealthModule {}
