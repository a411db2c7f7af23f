import { Body, Controller, Get, HttpCode, Logger, Post, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { Access } from '../access/access.decorator';
import { Clock } from '../clock/clock';
import { LoopbackOnly, NoDeadline } from '../http/route-flags';
import { JobsService } from '../jobs/jobs.service';
import { NoRateLimit } from '../rate-limit/rate-limit.decorator';
import { TestClockSync } from './test-clock-sync';

class AdvanceClockDto {
  @IsNumber()
  @Min(0)
  @Max(10 * 365 * 86_400)
  advance_seconds!: number;
}

class SleepQueryDto {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  ms!: number;
}

/**
 * Mounted only with TEST_HOOKS=1 (never in production: the configuration refuses it with
 * NODE_ENV=production): move the application clock (of every instance on the database), run queued
 * jobs now, and two probes that let tests produce the 500 and 504 envelopes. Answered only for
 * callers on this machine (the socket's address, whatever X-Forwarded-For says); anyone else gets
 * route_not_found, as if they were not mounted.
 */
@ApiExcludeController()
@Controller('__test')
@Access.anonymous({ maintenanceExempt: true })
@NoRateLimit()
@LoopbackOnly()
export class TestHooksController {
  private readonly logger = new Logger('TestHooks');

  constructor(
    private readonly clock: Clock,
    private readonly jobs: JobsService,
    private readonly clockSync: TestClockSync,
  ) {}

  @Get('clock')
  now(): { now: string; offset_ms: number } {
    return { now: this.clock.now().toISOString(), offset_ms: this.clock.offset() };
  }

  @Post('clock')
  @HttpCode(200)
  @NoDeadline()
  async advance(@Body() body: AdvanceClockDto): Promise<{ now: string; offset_ms: number }> {
    // every instance on this database moves with it (TestClockSync)
    const now = await this.clockSync.advance(body.advance_seconds);
    return { now: now.toISOString(), offset_ms: this.clock.offset() };
  }

  @Post('jobs/drain')
  @HttpCode(200)
  @NoDeadline()
  async drain(): Promise<{ processed: number }> {
    return { processed: await this.jobs.drain() };
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail: connection string postgres://user:hunter2@db');
  }

  @Get('sleep')
  async sleep(@Query() q: SleepQueryDto): Promise<{ slept: number }> {
    // the shutdown test sends its signal once this request is known to be in flight
    this.logger.log(`sleeping ${q.ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, q.ms));
    return { slept: q.ms };
  }
}
