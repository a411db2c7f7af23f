import { Injectable, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { JobsService } from '../jobs/jobs.service';
import { RealtimeService } from '../realtime/realtime.service';

export type LifecycleState = 'starting' | 'ready' | 'draining';

/**
 * Where this instance is in its life, for GET /health/ready: `starting` until the HTTP server
 * listens, `ready` while it takes traffic, `draining` from the first shutdown signal on.
 */
@Injectable()
export class Lifecycle {
  private current: LifecycleState = 'starting';

  get state(): LifecycleState {
    return this.current;
  }

  markReady(): void {
    if (this.current === 'starting') this.current = 'ready';
  }

  markDraining(): void {
    this.current = 'draining';
  }
}

export interface ShutdownBudget {
  /** how long in-flight requests may take to finish before their connections are cut */
  httpMs: number;
  /** how long running jobs may take to finish before pg-boss fails them back to their queue */
  jobsMs: number;
}

/** Within 10 s overall: 6 s for requests, 2.5 s for jobs, the rest for closing pools. */
export const DEFAULT_SHUTDOWN_BUDGET: ShutdownBudget = { httpMs: 6_000, jobsMs: 2_500 };

const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());

/**
 * Graceful shutdown, in the order that loses nothing: readiness answers 503 (a load balancer stops
 * sending), event streams end (they would hold the server open), the server stops accepting
 * connections and waits for in-flight requests (bounded, then their connections are cut), pg-boss
 * waits for running jobs (bounded, then fails them so they are retried elsewhere), and only then
 * the modules close (database pools, Redis). Nest's own `app.close()` destroys modules before it
 * closes the server, which would pull the pool from under in-flight requests.
 */
export async function gracefulShutdown(
  app: NestFastifyApplication,
  budget: ShutdownBudget = DEFAULT_SHUTDOWN_BUDGET,
): Promise<void> {
  const logger = new Logger('Shutdown');
  app.get(Lifecycle).markDraining();
  app.get(RealtimeService).closeStreams();

  const fastify = app.getHttpAdapter().getInstance();
  const server: Server = app.getHttpServer();
  const closed = fastify.close().then((): 'closed' => 'closed');
  // server.close() only reaps connections idle at that moment: a keep-alive connection whose
  // request finishes later (or whose event stream just ended) is reaped as it becomes idle
  const reaper = setInterval(() => server.closeIdleConnections(), 50);
  if ((await Promise.race([closed, sleep(budget.httpMs)])) === 'timeout') {
    logger.warn(`requests still running after ${budget.httpMs} ms: cutting their connections`);
    server.closeAllConnections();
    await Promise.race([closed, sleep(1_000)]);
  }
  clearInterval(reaper);

  await app.get(JobsService).stop(budget.jobsMs);
  await app.close();
}
