/**
 * Where the e2e apps' real pino logger writes: lines are kept in memory (bounded) for tests to
 * read, never printed. Set E2E_LOG=1 to also echo them to stderr while debugging.
 */
export interface LogEntry {
  level: number;
  msg?: string;
  reqId?: string;
  err?: { type?: string; message?: string; stack?: string; [k: string]: unknown };
  [key: string]: unknown;
}

const MAX_ENTRIES = 20_000;

export class LogSink {
  private readonly lines: LogEntry[] = [];
  private readonly echo = process.env.E2E_LOG === '1';

  /** pino's DestinationStream */
  write(line: string): void {
    if (this.echo) process.stderr.write(line);
    try {
      this.lines.push(JSON.parse(line) as LogEntry);
    } catch {
      this.lines.push({ level: 30, msg: line });
    }
    if (this.lines.length > MAX_ENTRIES) this.lines.splice(0, this.lines.length - MAX_ENTRIES);
  }

  entries(): readonly LogEntry[] {
    return this.lines;
  }

  /** entries at error level (50) or above, optionally for one request id */
  errors(reqId?: string): LogEntry[] {
    return this.lines.filter((l) => l.level >= 50 && (reqId === undefined || l.reqId === reqId));
  }

  clear(): void {
    this.lines.length = 0;
  }
}
