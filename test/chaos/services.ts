import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/**
 * The services the chaos harness owns, so it can really take them away: an embedded PostgreSQL
 * (held by postgres-control.mjs, stopped and started on request) and a redis-server of its own
 * (stopped and started again on the same port, nothing persisted). A wait on either fails as soon
 * as the process exits, with its exit code and last lines of output, never waits for a line that
 * will not come.
 */

const TAIL_LINES = 20;

/** The last lines a stream printed (kept for the message of a child that exited). */
class Tail {
  private readonly lines: string[] = [];

  constructor(readonly max = TAIL_LINES) {}

  push(chunk: Buffer | string): void {
    for (const line of chunk.toString().split('\n')) if (line.trim()) this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  text(): string {
    return this.lines.length ? this.lines.map((l) => `  ${l}`).join('\n') : '  (nothing on stderr)';
  }
}

const exitText = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `was killed by ${signal}` : `exited with code ${code}`;

export class ControlledPostgres {
  private child?: ChildProcess;
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private readonly stderr = new Tail();
  /** why the control process is gone (set when it exits): every wait, pending or later, fails with it */
  private gone?: Error;
  url = '';

  constructor(
    private readonly dir: string,
    private readonly port: number,
    private readonly database = 'chaos_test',
    /** the control script (a test gives one that fails) */
    private readonly script = join(__dirname, 'postgres-control.mjs'),
  ) {}

  async start(): Promise<string> {
    const child = spawn(process.execPath, [this.script, this.dir, String(this.port), this.database], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.gone = undefined;
    child.stderr.on('data', (c: Buffer) => {
      this.stderr.push(c);
      process.stderr.write(c);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    // an error writing a command to a process that just died is its exit, reported below
    child.stdin.on('error', () => undefined);
    child.once('error', (err) => this.fail(new Error(`embedded PostgreSQL could not start: ${err.message}`)));
    child.once('close', (code, signal) =>
      this.fail(
        new Error(
          `embedded PostgreSQL (${this.script}) ${exitText(code, signal)}; its last lines on stderr:\n${this.stderr.text()}`,
        ),
      ),
    );
    const line = await this.next();
    if (!line.startsWith('ready ')) throw new Error(`embedded PostgreSQL: ${line}\n${this.stderr.text()}`);
    this.url = line.slice(6);
    return this.url;
  }

  private fail(err: Error): void {
    this.gone ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.gone);
  }

  private next(): Promise<string> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
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
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('close', r));
    await this.command('exit', 'stopped').catch(() => child.kill('SIGKILL'));
    await exited;
  }
}

export class ControlledRedis {
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    /** the server binary (a test gives one that fails) */
    private readonly binary = 'redis-server',
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const output = new Tail();
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (c: Buffer) => {
        output.push(c);
        seen = (seen + c.toString()).slice(-4096);
        if (/Ready to accept connections/.test(seen)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (err) =>
        reject(new Error(`redis-server could not start (${err.message}): install Debian's redis-server`)),
      );
      child.once('close', (code, signal) =>
        reject(new Error(`redis-server ${exitText(code, signal)}; its last lines:\n${output.text()}`)),
      );
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
