import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/config';
import { AccessAudit } from './access/access-audit';
import { AuditRepository } from './audit/audit.repository';
import { Clock } from './clock/clock';
import { AppSecret, loadAppSecret } from './crypto/app-secret';
import type { ErrorDefinition } from './errors/app-error';
import { ERROR_CATALOGUE, ErrorsController } from './errors/errors.controller';
import { AdminDocsController } from './docs/docs.controller';
import { OpenApiDocuments } from './docs/openapi';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { JobsModule } from './jobs/jobs.module';
import { MailModule } from './mail/mail.module';
import { MaintenanceRepository } from './maintenance/maintenance.repository';
import { MaintenanceService } from './maintenance/maintenance.service';
import { PaymentsModule } from './payments/payments.module';
import { PrismaModule } from './prisma/prisma.module';
import { DatabaseModule } from './database/database.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RedisModule } from './redis/redis.module';
import { StorageModule } from './storage/storage.module';
import { TestHooksModule } from './test-hooks/test-hooks.module';

/** Cross-cutting infrastructure every domain module may inject. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, catalogue: readonly ErrorDefinition[]): DynamicModule {
    const shared = [
      { provide: AppConfig, useValue: config },
      { provide: ERROR_CATALOGUE, useValue: catalogue },
      { provide: AppSecret, useFactory: () => loadAppSecret(config) },
      Clock,
      MaintenanceRepository,
      MaintenanceService,
      AuditRepository,
    ];
    return {
      module: PlatformModule,
      global: true,
      imports: [
        DiscoveryModule,
        DatabaseModule,
        PrismaModule,
        RedisModule,
        JobsModule,
        MailModule,
        IdempotencyModule,
        RateLimitModule,
        HealthModule,
        StorageModule,
        PaymentsModule,
        RealtimeModule,
        ...(config.testHooks ? [TestHooksModule] : []),
      ],
      controllers: [ErrorsController, AdminDocsController],
      providers: [...shared, AccessAudit, OpenApiDocuments],
      exports: [
        ...shared,
        DatabaseModule,
        PrismaModule,
        RedisModule,
        JobsModule,
        MailModule,
        IdempotencyModule,
        RateLimitModule,
        StorageModule,
        PaymentsModule,
        RealtimeModule,
      ],
    };
  }
}
