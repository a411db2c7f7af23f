import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/**
 * The services the chaos harness owns, so it can really take them away: an embedded PostgreSQL
 * (held by postgres-control.mjs, stopped and started on request) and a redis-server of its own
 * (stopped and started again on the same port, nothing persisted).
 */

export class ControlledPostgres {
  private child?: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];
  url = '';

  constructor(
    private readonly dir: string,
    private readonly port: number,
    private readonly database = 'chaos_test',
  ) {}

  async start(): Promise<string> {
    this.child = spawn(
      process.execPath,
      [join(__dirname, 'postgres-control.mjs'), this.dir, String(this.port), this.database],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
    const line = await this.next();
    if (!line.startsWith('ready ')) throw new Error(`embedded PostgreSQL: ${line}`);
    this.url = line.slice(6);
    return this.url;
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private async command(cmd: 'stop' | 'start' | 'exit', expect: string): Promise<void> {
    const answer = this.next();
    this.child!.stdin!.write(`${cmd}\n`);
    const line = await answer;
    if (line !== expect) throw new Error(`embedded PostgreSQL ${cmd}: ${line}`);
  }

  /** A fast shutdown: every connection is cut, new ones are refused. */
  stopServer(): Promise<void> {
    return this.command('stop', 'stopped');
  }

  startServer(): Promise<void> {
    return this.command('start', 'started');
  }

  async close(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    await this.command('exit', 'stopped').catch(() => this.child!.kill('SIGKILL'));
    await exited;
  }
}

export class ControlledRedis {
  private child?: ChildProcess;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (c: Buffer) => {
        output += c.toString();
        if (/Ready to accept connections/.test(output)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) =>
        reject(new Error(`redis-server could not start (${err.message}): install Debian's redis-server`)),
      );
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
