import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../../config/config';
import { Clock } from '../clock/clock';
import { idFloor, newId } from '../ids';
import { PrismaService, type Tx } from '../prisma/prisma.service';

/**
 * The events a signed-in client receives on GET /me/events:
 * - `message.created` — a direct message to the user (`data`: the message as GET
 *   /conversations/:id/messages shows it, plus `conversation_id`);
 * - `playlist.invitation` — an invitation to edit a playlist (`data`: the invitation).
 */
export type RealtimeEventType = 'message.created' | 'playlist.invitation';

export interface RealtimeEvent {
  id: string;
  type: string;
  data: unknown;
  created_at: string;
}

interface Subscriber {
  userId: string;
  deliver(event: RealtimeEvent): void;
  close(): void;
  /** ids already delivered (replay and live notifications may both bring one) */
  seen: Set<string>;
  lastId?: string;
  /** when the stream opened (epoch ms): the floor of a replay when it has seen no event yet */
  since: number;
}

const CHANNEL = 'realtime_events';
/**
 * Signals to the instances themselves (not events for a user): e.g. "end these event streams"
 * (EventStreamsService). Fire and forget: one lost while an instance's listener reconnects is made
 * up for by what the signal's sender also wrote to the database (the stream's heartbeat finds it).
 */
export const CONTROL_CHANNEL = 'realtime_control';
const KEEP_SECONDS = 86_400;
/** clocks of the instances may differ by this much: a replay after an outage starts this early */
const SKEW_MS = 5_000;
const REPLAY_MAX = 500;

/**
 * The cross-instance event bus: PostgreSQL LISTEN/NOTIFY on the application's own database.
 * `publish` writes the event to `realtime_events` and NOTIFYs its id in the same statement, so
 * when it runs inside a transaction the event exists, and is announced, only if that transaction
 * commits. Every instance LISTENs on one dedicated connection and hands an announced event to
 * the streams of its user held by this instance. The row also lets a reconnecting client resume
 * after `Last-Event-ID` (events are kept a day). No Redis needed; no polling.
 */
@Injectable()
export class RealtimeService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RealtimeService.name);
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly controlHandlers: ((message: unknown) => void)[] = [];
  private client?: Client;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  /** when the listener was lost (epoch ms) */
  private lostAt = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.closeStreams();
    await this.client?.end().catch(() => undefined);
  }

  /** Ends every open stream (shutdown: they would hold the server open; clients reconnect elsewhere). */
  closeStreams(): void {
    for (const set of this.subscribers.values()) for (const s of set) s.close();
    this.subscribers.clear();
  }

  /**
   * Publishes an event to one user. With `tx`, it is delivered when (and only if) that
   * transaction commits. Returns the event id.
   */
  async publish(userId: string, type: RealtimeEventType, data: unknown, tx?: Tx): Promise<string> {
    const id = newId('evt');
    const at = this.clock.now();
    const db = tx ?? this.prisma;
    await db.$executeRaw`
      WITH e AS (
        INSERT INTO realtime_events (id, user_id, type, data, created_at)
        VALUES (${id}, ${userId}, ${type}, ${JSON.stringify(data)}::jsonb, ${at})
        RETURNING id
      )
      SELECT pg_notify(${CHANNEL}, ${JSON.stringify({ id, u: userId })}) FROM e`;
    // old events go a few at a time, by the user who publishes
    if (Math.random() < 0.05) {
      await db.$executeRaw`
        DELETE FROM realtime_events
        WHERE user_id = ${userId} AND created_at < ${new Date(at.getTime() - KEEP_SECONDS * 1000)}`;
    }
    return id;
  }

  /**
   * Sends a control signal to every instance (this one included). With `tx`, only if and when that
   * transaction commits (NOTIFY is transactional).
   */
  async signal(message: object, tx?: Tx): Promise<void> {
    const db = tx ?? this.prisma;
    await db.$executeRaw`SELECT pg_notify(${CONTROL_CHANNEL}, ${JSON.stringify(message)})`;
  }

  /** Calls `handler` with each control signal this instance receives (JSON-parsed). */
  onControl(handler: (message: unknown) => void): void {
    this.controlHandlers.push(handler);
  }

  /**
   * Streams the user's events to `deliver` from now on, after replaying those after
   * `lastEventId` (a reconnecting client). Returns the unsubscribe function; `close` is called
   * when the instance shuts down.
   */
  async subscribe(
    userId: string,
    lastEventId: string | undefined,
    deliver: (event: RealtimeEvent) => void,
    close: () => void,
  ): Promise<() => void> {
    const sub: Subscriber = {
      userId,
      deliver,
      close,
      seen: new Set(),
      lastId: lastEventId,
      since: Date.now(),
    };
    let set = this.subscribers.get(userId);
    if (!set) this.subscribers.set(userId, (set = new Set()));
    set.add(sub);
    if (lastEventId) await this.replay(sub, lastEventId);
    return () => {
      const s = this.subscribers.get(userId);
      s?.delete(sub);
      if (s && s.size === 0) this.subscribers.delete(userId);
    };
  }

  /** How many streams this instance holds (health and tests). */
  get streams(): number {
    let n = 0;
    for (const set of this.subscribers.values()) n += set.size;
    return n;
  }

  private send(sub: Subscriber, event: RealtimeEvent): void {
    if (sub.seen.has(event.id)) return;
    sub.seen.add(event.id);
    if (sub.seen.size > 1000) sub.seen.delete(sub.seen.values().next().value as string);
    if (!sub.lastId || event.id > sub.lastId) sub.lastId = event.id;
    sub.deliver(event);
  }

  private async replay(sub: Subscriber, after: string): Promise<void> {
    const rows = await this.prisma.sql<RealtimeEvent>(
      `SELECT id, type, data, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
       FROM realtime_events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT ${REPLAY_MAX}`,
      [sub.userId, after],
    );
    for (const row of rows) this.send(sub, row);
  }

  private async onNotification(payload: string | undefined): Promise<void> {
    if (!payload) return;
    let note: { id: string; u: string };
    try {
      note = JSON.parse(payload) as { id: string; u: string };
    } catch {
      return;
    }
    const set = this.subscribers.get(note.u);
    if (!set?.size) return;
    try {
      const [event] = await this.prisma.sql<RealtimeEvent>(
        `SELECT id, type, data, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
         FROM realtime_events WHERE id = $1`,
        [note.id],
        'realtime_event_by_id',
      );
      if (event) for (const sub of set) this.send(sub, event);
    } catch (err) {
      this.logger.warn(`could not load realtime event ${note.id}: ${(err as Error).message}`);
    }
  }

  private onControlNotification(payload: string | undefined): void {
    let message: unknown;
    try {
      message = JSON.parse(payload ?? '');
    } catch {
      return;
    }
    for (const handler of this.controlHandlers) {
      try {
        handler(message);
      } catch (err) {
        this.logger.warn(`realtime control signal failed: ${(err as Error).message}`);
      }
    }
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.channel === CONTROL_CHANNEL) this.onControlNotification(msg.payload);
      else void this.onNotification(msg.payload);
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.lostAt = Date.now();
      client.end().catch(() => undefined);
      this.reconnectLater(1000);
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    await client.query(`LISTEN ${CHANNEL}`);
    await client.query(`LISTEN ${CONTROL_CHANNEL}`);
    this.client = client;
  }

  /** After a lost connection: listen again, then replay to every stream what it missed meanwhile. */
  private reconnectLater(delayMs: number): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return;
      this.listen()
        .then(async () => {
          this.logger.log('realtime listener reconnected');
          // a stream that has seen no event yet replays from when it opened (or shortly before
          // the loss): what was published while nobody listened is not lost to it either
          for (const set of this.subscribers.values()) {
            for (const sub of set) {
              const floor = Math.max(sub.since, this.lostAt) - SKEW_MS;
              await this.replay(sub, sub.lastId ?? idFloor('evt', floor));
            }
          }
        })
        .catch(() => this.reconnectLater(Math.min(delayMs * 2, 30_000)));
    }, delayMs);
    this.reconnectTimer.unref();
  }
}
