import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { Lifecycle } from './lifecycle';

@Module({ controllers: [HealthController], providers: [HealthService, Lifecycle], exports: [Lifecycle] })
export class HealthModule {}
