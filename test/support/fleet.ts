import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync, WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { projectRoot } from '../../src/platform/database/migrations';
import { buildCurrentSource } from './build-source';
import { TEST_JWT_SECRET } from './test-app';

/**
 * Several instances of the application as separate OS processes, each running the current
 * source the way `npm start` does (src/main.ts: configuration, migrations, Fastify, pg-boss
 * workers, the production logger on stdout), on ports of their own and whatever shared services
 * the caller names in `env` (one DATABASE_URL, REDIS_URL, SMTP_URL, STRIPE_API_BASE_URL,
 * STORAGE_DIR/STORAGE_URL for all). Their output is kept (the last lines in memory for failure
 * messages, everything in .data/fleet-logs/).
 */

const TAIL_LINES = 400;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class FleetInstance {
  readonly url: string;
  /** supertest on this instance's base URL */
  readonly http: ReturnType<typeof request>;
  private child?: ChildProcess;
  private exited?: Promise<ExitInfo>;
  private readonly tail: string[] = [];
  private log?: WriteStream;
  /** when the process last exited unexpectedly (not through stop/kill) */
  unexpectedExits: ExitInfo[] = [];
  private expectingExit = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly main: string,
    private env: Record<string, string>,
    private readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.http = request(this.url);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** started and answered GET /health once; false from the moment it is stopped or killed */
  ready = false;

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and resolves once GET /api/v1/health answers 200. */
  async start(envOverrides: Record<string, string> = {}, readyTimeoutMs = 90_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.env = { ...this.env, ...envOverrides };
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    this.expectingExit = false;
    const child = spawn(process.execPath, [this.main], {
      cwd: projectRoot(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...this.env,
        PORT: String(this.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (chunk: Buffer) => {
      this.log?.write(chunk);
      for (const line of chunk.toString().split('\n')) if (line) this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    this.exited = new Promise<ExitInfo>((resolve) =>
      child.once('exit', (code, signal) => {
        const info = { code, signal };
        if (!this.expectingExit) this.unexpectedExits.push(info);
        resolve(info);
      }),
    );
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (!this.running) {
        const info = await this.exited;
        throw new Error(`${this.name} exited while starting (${JSON.stringify(info)}):\n${this.logTail(60)}`);
      }
      if (await this.healthy(1000)) {
        this.ready = true;
        return;
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`${this.name} not healthy after ${readyTimeoutMs} ms:\n${this.logTail(60)}`);
      }
      await sleep(100);
    }
  }

  /** GET /api/v1/health answers 200 within `timeoutMs`. */
  async healthy(timeoutMs = 2000): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** SIGTERM (graceful shutdown), then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 15_000): Promise<ExitInfo | undefined> {
    return this.signal('SIGTERM', graceMs);
  }

  /** SIGKILL: the process ends at once, mid-request. */
  async kill(): Promise<ExitInfo | undefined> {
    return this.signal('SIGKILL', 0);
  }

  async restart(envOverrides: Record<string, string> = {}): Promise<void> {
    await this.stop();
    await this.start(envOverrides);
  }

  private async signal(sig: NodeJS.Signals, graceMs: number): Promise<ExitInfo | undefined> {
    this.ready = false;
    if (!this.child || !this.running) return undefined;
    this.expectingExit = true;
    this.child.kill(sig);
    const timer =
      sig === 'SIGKILL' ? undefined : setTimeout(() => this.child?.kill('SIGKILL'), graceMs).unref();
    const info = await this.exited!;
    if (timer) clearTimeout(timer);
    return info;
  }

  /** The last `lines` lines of output (stdout and stderr, the production logger's JSON). */
  logTail(lines = 80): string {
    return this.tail
      .slice(-lines)
      .map((l) => `  [${this.name}] ${l}`)
      .join('\n');
  }

  /** Parsed log entries at error level or above among the kept lines. */
  errorEntries(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.tail) {
      try {
        const e = JSON.parse(line) as { level?: number };
        if ((e.level ?? 0) >= 50) out.push(e);
      } catch {
        // not JSON (console lines of main.ts)
      }
    }
    return out;
  }

  async drain(): Promise<number> {
    return ((await this.http.post('/api/v1/__test/jobs/drain').expect(200)).body as { processed: number })
      .processed;
  }

  async closeLog(): Promise<void> {
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }
}

export interface FleetOptions {
  size: number;
  /** the environment every instance shares (database, Redis, SMTP, Stripe, storage, secrets…) */
  env: Record<string, string>;
  /** per-instance additions, by index */
  envOf?: (index: number) => Record<string, string>;
  /** a name for the log directory */
  label?: string;
}

export class Fleet {
  private cursor = 0;

  private constructor(
    readonly instances: FleetInstance[],
    readonly logDir: string,
    readonly build: { main: string; reused: boolean; ms: number; bootMs: number },
  ) {}

  /** Builds the current source (or reuses the build of an unchanged tree), then starts every instance. */
  static async start(options: FleetOptions): Promise<Fleet> {
    const t0 = Date.now();
    const build = await buildCurrentSource();
    const ms = Date.now() - t0;
    const logDir = join(
      projectRoot(),
      '.data',
      'fleet-logs',
      `${options.label ?? 'fleet'}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`,
    );
    mkdirSync(logDir, { recursive: true });
    // earlier runs' logs go after a day
    const logsRoot = join(logDir, '..');
    for (const name of readdirSync(logsRoot)) {
      const p = join(logsRoot, name);
      if (Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true });
    }
    const instances: FleetInstance[] = [];
    for (let i = 0; i < options.size; i++) {
      const port = await freePort();
      const name = `app${i + 1}`;
      instances.push(
        new FleetInstance(
          name,
          port,
          build.main,
          { ...options.env, ...(options.envOf?.(i) ?? {}) },
          join(logDir, `${name}.log`),
        ),
      );
    }
    const fleet = new Fleet(instances, logDir, { main: build.main, reused: build.reused, ms, bootMs: 0 });
    const t1 = Date.now();
    try {
      // at once, as a deployment would (Prisma's advisory lock serialises the migrations)
      await Promise.all(instances.map((i) => i.start()));
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    fleet.build.bootMs = Date.now() - t1;
    return fleet;
  }

  /** The next instance, round-robin. */
  next(): FleetInstance {
    const instance = this.instances[this.cursor % this.instances.length];
    this.cursor++;
    return instance;
  }

  at(index: number): FleetInstance {
    return this.instances[index % this.instances.length];
  }

  /** Instances that exited without being asked to (a crash), with their output. */
  crashes(): string[] {
    return this.instances
      .filter((i) => i.unexpectedExits.length)
      .map((i) => `${i.name} exited ${JSON.stringify(i.unexpectedExits)}:\n${i.logTail(40)}`);
  }

  logTail(lines = 40): string {
    return this.instances.map((i) => i.logTail(lines)).join('\n');
  }

  /**
   * Moves the application clock by `seconds`: on one instance, then every other one is brought
   * to its time (each process keeps its own offset today; once the offset is shared through the
   * database the others are already there and nothing more moves).
   */
  async advanceClock(seconds: number): Promise<void> {
    const [first, ...others] = this.instances.filter((i) => i.running);
    if (!first) return;
    await first.http.post('/api/v1/__test/clock').send({ advance_seconds: seconds }).expect(200);
    for (const i of others) await this.syncClock(i, first);
  }

  /**
   * A restarted instance starts at the real time: move its clock to its peers' (a no-op once
   * the offset is shared through the database).
   */
  async syncClock(instance: FleetInstance, reference?: FleetInstance): Promise<void> {
    const peer = reference ?? this.instances.find((i) => i !== instance && i.running);
    if (!peer) return;
    const now = async (i: FleetInstance) =>
      Date.parse(((await i.http.get('/api/v1/__test/clock').expect(200)).body as { now: string }).now);
    const behind = (await now(peer)) - (await now(instance));
    if (behind > 5000) {
      await instance.http
        .post('/api/v1/__test/clock')
        .send({ advance_seconds: Math.ceil(behind / 1000) })
        .expect(200);
    }
  }

  /** Every running instance answers GET /health with 200. */
  async allHealthy(): Promise<boolean> {
    const states = await Promise.all(
      this.instances.map((i) => (i.running ? i.healthy(2000) : Promise.resolve(false))),
    );
    return states.every(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.stop()));
    await Promise.all(this.instances.map((i) => i.closeLog()));
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The limits the fleet workloads push against (low, so a short run meets every budget). */
export const FLEET_LIMITS = {
  submissionsPerRequest: 5,
  followsPerHour: 6,
  messagesPerMinute: 4,
  following: 10,
};

/**
 * What every instance of a test fleet shares besides its services: the Stripe fake's keys, the
 * test hooks, an admin, request budgets out of the way, and the rules the workload measures set to
 * `FLEET_LIMITS`.
 */
export function fleetEnv(
  stripe: { secretKey: string; webhookSecret: string; connectWebhookSecret: string },
  stripeUrl: string,
): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_CONNECT_WEBHOOK_SECRET: stripe.connectWebhookSecret,
    STRIPE_API_BASE_URL: stripeUrl,
    TEST_HOOKS: '1',
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_EMAIL: 'admin@test.local',
    ADMIN_PASSWORD: 'admin-password-1',
    LIMIT_RATE_PER_MINUTE: '100000',
    LIMIT_RATE_ANONYMOUS_PER_MINUTE: '100000',
    LIMIT_RATE_LOGIN_PER_MINUTE: '100000',
    LIMIT_SUBMISSIONS_PER_REQUEST: String(FLEET_LIMITS.submissionsPerRequest),
    LIMIT_FOLLOWS_PER_HOUR: String(FLEET_LIMITS.followsPerHour),
    LIMIT_MESSAGES_PER_MINUTE: String(FLEET_LIMITS.messagesPerMinute),
    LIMIT_FOLLOWING: String(FLEET_LIMITS.following),
    // sales are transferable at once, so transfers happen within a run
    LIMIT_EARNINGS_HOLD_DAYS: '0',
  };
}
