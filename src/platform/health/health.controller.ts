import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../access/access.decorator';
import { ApiErrors } from '../docs/api-errors.decorator';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { NoRateLimit } from '../rate-limit/rate-limit.decorator';
import { HealthService } from './health.service';
import { HealthDto, ReadyDto } from './health.dto';
import { Lifecycle } from './lifecycle';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly lifecycle: Lifecycle,
  ) {}

  @Get()
  @Access.anonymous({ maintenanceExempt: true })
  @NoRateLimit()
  @ApiOperation({ summary: 'Liveness and dependency checks (database, Redis when configured)' })
  @ApiErrors(GeneralErrors.serviceUnavailable)
  check(): Promise<HealthDto> {
    return this.health.check();
  }

  @Get('ready')
  @Access.anonymous({ maintenanceExempt: true })
  @NoRateLimit()
  @ApiOperation({
    summary: 'Readiness: 200 while this instance takes traffic, 503 while it starts or drains',
    description:
      'For load balancers. Says nothing about dependencies (GET /health does): a database outage would otherwise take every instance out at once. From a shutdown signal on it answers 503 while in-flight requests finish.',
  })
  @ApiErrors(GeneralErrors.serviceUnavailable)
  ready(): ReadyDto {
    if (this.lifecycle.state !== 'ready') {
      throw new AppError(GeneralErrors.serviceUnavailable, {
        message:
          this.lifecycle.state === 'draining'
            ? 'This instance is shutting down.'
            : 'This instance is starting.',
        headers: { 'Retry-After': '1' },
      });
    }
    return { status: 'ready' };
  }
}
