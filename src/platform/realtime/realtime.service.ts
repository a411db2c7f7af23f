import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { idFloor, newId } from '../ids';
import { Database, type Db } from '../database/database';
import type { Listener } from '../database/listener';

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
  private listener?: Listener;
  /** when the listener was lost (epoch ms) */
  private lostAt = 0;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    this.listener = await this.db.listen([CHANNEL, CONTROL_CHANNEL], {
      notification: (channel, payload) => {
        if (channel === CONTROL_CHANNEL) this.onControlNotification(payload);
        else void this.onNotification(payload);
      },
      lost: () => (this.lostAt = Date.now()),
      // after a lost connection: replay to every stream what it missed meanwhile — a stream that
      // has seen no event yet from when it opened (or shortly before the loss)
      connected: async (_db, reconnected) => {
        if (!reconnected) return;
        for (const set of this.subscribers.values()) {
          for (const sub of set) {
            const floor = Math.max(sub.since, this.lostAt) - SKEW_MS;
            await this.replay(sub, sub.lastId ?? idFloor('evt', floor));
          }
        }
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closeStreams();
    await this.listener?.close();
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
  async publish(userId: string, type: RealtimeEventType, data: unknown, tx?: Db): Promise<string> {
    const id = newId('evt');
    const at = this.clock.now();
    const db = tx ?? this.db;
    await db.query(
      `WITH e AS (
         INSERT INTO realtime_events (id, user_id, type, data, created_at)
         VALUES ($1, $2, $3, $4::jsonb, $5)
         RETURNING id
       )
       SELECT pg_notify($6, $7) FROM e`,
      [id, userId, type, JSON.stringify(data), at, CHANNEL, JSON.stringify({ id, u: userId })],
      'realtime_publish',
    );
    // old events go a few at a time, by the user who publishes
    if (Math.random() < 0.05) {
      await db.execute('DELETE FROM realtime_events WHERE user_id = $1 AND created_at < $2', [
        userId,
        new Date(at.getTime() - KEEP_SECONDS * 1000),
      ]);
    }
    return id;
  }

  /**
   * Sends a control signal to every instance (this one included). With `tx`, only if and when that
   * transaction commits (NOTIFY is transactional).
   */
  async signal(message: object, tx?: Db): Promise<void> {
    await (tx ?? this.db).query('SELECT pg_notify($1, $2)', [CONTROL_CHANNEL, JSON.stringify(message)]);
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
    const rows = await this.db.query<RealtimeEvent>(
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
      const [event] = await this.db.query<RealtimeEvent>(
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
}
