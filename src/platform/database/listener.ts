import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { Db } from './db';

export interface ListenHandlers {
  /** each notification on one of the channels */
  notification(channel: string, payload: string | undefined): void;
  /**
   * After LISTEN on a new connection — the first and every one after a loss (`reconnected`): read
   * here what a notification may have said meanwhile (`db` runs on the listening connection, so
   * whatever commits after this read is notified).
   */
  connected?(db: Db, reconnected: boolean): Promise<void>;
  /** the connection was lost (a new one follows by itself, 1 s then doubling up to 30 s) */
  lost?(): void;
}

/**
 * One LISTEN connection of its own (a pooled one would be handed to others), kept open: lost, it
 * is replaced after a pause that doubles while PostgreSQL stays away. `Database.listen` opens it.
 */
export class Listener {
  private readonly logger = new Logger(Listener.name);
  private client?: Client;
  private closed = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly url: string | undefined,
    private readonly channels: readonly string[],
    private readonly handlers: ListenHandlers,
  ) {
    for (const c of channels) if (!/^[a-z_][a-z0-9_]*$/.test(c)) throw new Error(`bad channel name ${c}`);
  }

  /** the first connection: its failure is the caller's */
  async start(): Promise<void> {
    await this.connect(false);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(reconnected: boolean): Promise<void> {
    const client = new Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', (msg) => this.handlers.notification(msg.channel, msg.payload));
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.handlers.lost?.();
      this.later(1000);
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      for (const c of this.channels) await client.query(`LISTEN ${c}`);
    } catch (err) {
      client.removeListener('end', lost);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    const db: Db = {
      query: async <T>(text: string, params: readonly unknown[] = []) =>
        (await client.query({ text, values: params as unknown[] })).rows as T[],
      execute: async (text: string, params: readonly unknown[] = []) =>
        (await client.query({ text, values: params as unknown[] })).rowCount ?? 0,
    };
    await this.handlers.connected?.(db, reconnected).catch((err: Error) => {
      this.logger.warn(`after LISTEN ${this.channels.join(', ')}: ${err.message}`);
    });
  }

  private later(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      if (this.closed) return;
      this.connect(true)
        .then(() => this.logger.log(`listener on ${this.channels.join(', ')} reconnected`))
        .catch((err: Error) => {
          this.logger.warn(`listener on ${this.channels.join(', ')}: ${err.message}`);
          this.later(Math.min(delayMs * 2, 30_000));
        });
    }, delayMs);
    this.timer.unref();
  }
}
