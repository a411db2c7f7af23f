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

  /**
   * Waits until at least `count` entries match (a streamed response is logged when it finishes,
   * which may be after the client read its last byte); gives up after `timeoutMs` and returns
   * what matched, so the test's own assertion names the shortfall.
   */
  async waitFor(match: (e: LogEntry) => boolean, count = 1, timeoutMs = 10_000): Promise<LogEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.filter(match);
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  clear(): void {
    this.lines.length = 0;
  }
}
