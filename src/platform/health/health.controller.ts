import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../access/access.decorator';
import { ApiErrors } from '../docs/api-errors.decorator';
import { GeneralErrors } from '../errors/general.errors';
import { NoRateLimit } from '../rate-limit/rate-limit.decorator';
import { HealthService } from './health.service';
import { HealthDto } from './health.dto';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Access.anonymous({ maintenanceExempt: true })
  @NoRateLimit()
  @ApiOperation({ summary: 'Liveness and dependency checks (database, Redis when configured)' })
  @ApiErrors(GeneralErrors.serviceUnavailable)
  check(): Promise<HealthDto> {
    return this.health.check();
  }
}
