import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { AppConfig } from '../../config/config';
import { AccessErrors } from '../access/access.errors';
import { Principal, PrincipalResolver } from '../access/principal';
import { Clock } from '../clock/clock';
import { AppError, isAppError } from '../errors/app-error';
import { newId } from '../ids';
import type { Tx } from '../database/database';
import { EventStreamsRepository } from './event-streams.repository';
import { RealtimeService, type RealtimeEvent } from './realtime.service';

/**
 * Why the server ended a stream: the `reason` of its final `event: end`. A stream that closes
 * without one (the instance shut down, the network) is to be reopened with `Last-Event-ID`.
 */
export const STREAM_END_REASONS = {
  logged_out: 'the session or token that opened the stream logged out',
  credentials_changed: 'the password was reset, or changed from another session',
  token_revoked: 'the token no longer works (revoked, or its session ended)',
  token_expired:
    'the token expired: a session refreshes it, a personal access token needs a new one; then reconnect with Last-Event-ID',
  account_suspended: 'the account was suspended',
  replaced: 'a newer stream of the same user went past LIMIT_EVENT_STREAMS_PER_USER: do not reconnect',
} as const;
export type StreamEndReason = keyof typeof STREAM_END_REASONS;

/** Whose streams a close signal ends: a user's, narrowed to one credential or all but one. */
export interface StreamTarget {
  userId: string;
  /** only the streams opened with this session's access tokens */
  sessionId?: string;
  /** only the streams opened with this personal access token */
  tokenId?: string;
  /** all but the streams opened with this credential (the one changing the password) */
  except?: { sessionId?: string; tokenId?: string };
}

/** the control signal on the bus: `ids` (pushed out by the cap), or a user's target */
interface EndSignal {
  end: StreamEndReason;
  ids?: string[];
  u?: string;
  s?: string;
  t?: string;
  xs?: string;
  xt?: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** what the resolver's refusals of a stream's token mean for the stream */
const VERDICTS: Partial<Record<string, StreamEndReason>> = {
  [AccessErrors.unauthenticated.code]: 'token_revoked',
  [AccessErrors.tokenExpired.code]: 'token_expired',
  [AccessErrors.accountSuspended.code]: 'account_suspended',
};

class EventStream {
  readonly id = newId('evs');
  /** its row in event_streams exists (or did until pushed out) */
  claimed = false;
  /** the 200 and the headers were sent */
  started = false;
  done = false;
  reason?: StreamEndReason;
  beating = false;
  /** when its row was last claimed or renewed (this process's clock) */
  renewedAt = 0;
  heartbeat?: NodeJS.Timeout;
  expiry?: NodeJS.Timeout;
  unsubscribe?: () => void;

  constructor(
    readonly principal: Principal,
    /** the bearer token it was opened with: re-resolved on each heartbeat, as the guard does */
    readonly token: string,
    public expiresAt: Date | undefined,
    readonly res: ServerResponse,
  ) {}

  write(chunk: string): void {
    if (!this.res.destroyed && !this.res.writableEnded) this.res.write(chunk);
  }
}

const matches = (s: EventStream, m: EndSignal): boolean =>
  s.principal.userId === m.u &&
  (m.s === undefined || s.principal.sessionId === m.s) &&
  (m.t === undefined || s.principal.tokenId === m.t) &&
  (m.xs === undefined || s.principal.sessionId !== m.xs) &&
  (m.xt === undefined || s.principal.tokenId !== m.xt);

/**
 * The lifecycle of GET /me/events streams: none outlives the credential that opened it.
 * - Every heartbeat (LIMIT_EVENT_STREAM_HEARTBEAT_SECONDS) re-resolves the stream's bearer token
 *   exactly as the access guard does (session or token revoked, account suspended, expired).
 * - Logout, password reset or change, token revocation and suspension send a close signal on the
 *   realtime bus (PostgreSQL NOTIFY, on commit), so every instance ends the affected streams at once.
 * - A stream ends at its token's expiry, by a timer (re-armed on each heartbeat, which follows a
 *   moved test clock too).
 * - At most LIMIT_EVENT_STREAMS_PER_USER per user over all instances: each stream holds a row in
 *   `event_streams`, taken under the user's advisory lock; a new one pushes out the oldest.
 * An ended stream gets `event: end` with `data: {"reason": …}` (STREAM_END_REASONS), then closes.
 */
@Injectable()
export class EventStreamsService {
  private readonly logger = new Logger(EventStreamsService.name);
  private readonly instanceId = newId('ins');
  private readonly byId = new Map<string, EventStream>();
  private readonly byUser = new Map<string, Set<EventStream>>();
  private resolverRef?: PrincipalResolver;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
    private readonly repo: EventStreamsRepository,
    private readonly moduleRef: ModuleRef,
  ) {
    realtime.onControl((message) => this.onSignal(message));
  }

  /** how long a stream's place outlives its last heartbeat (an instance that died frees it then) */
  private get ttlSeconds(): number {
    return Math.max(3 * this.config.limits.eventStreamHeartbeatSeconds, 60);
  }

  /** The resolver lives in the auth module, which imports the platform; looked up, not imported. */
  private get resolver(): PrincipalResolver {
    return (this.resolverRef ??= this.moduleRef.get(PrincipalResolver, { strict: false }));
  }

  /**
   * Ends, on every instance, the target's streams with `reason`. With `tx`, when (and only if) it
   * commits. Without, after the change it announces was committed: a failure here is logged, not
   * thrown (the change stands, and the streams' next heartbeat finds it).
   */
  async endStreams(target: StreamTarget, reason: StreamEndReason, tx?: Tx): Promise<void> {
    const signal: EndSignal = {
      end: reason,
      u: target.userId,
      s: target.sessionId,
      t: target.tokenId,
      xs: target.except?.sessionId,
      xt: target.except?.tokenId,
    };
    if (tx) return this.realtime.signal(signal, tx);
    await this.realtime.signal(signal).catch((err: Error) => {
      this.logger.warn(`could not signal the end of event streams (${reason}): ${err.message}`);
    });
  }

  /**
   * Opens the caller's stream on `reply`: registers it (so a close signal from now on finds it),
   * re-resolves the token (closing the gap since the guard's look), takes its place under the cap,
   * then sends the 200 and subscribes to the user's events (after `lastEventId`, when given).
   * Refusals before the 200 are ordinary error responses.
   */
  async open(
    principal: Principal,
    token: string,
    lastEventId: string | undefined,
    reply: FastifyReply,
  ): Promise<void> {
    const stream = new EventStream(principal, token, principal.expiresAt, reply.raw);
    this.add(stream);
    try {
      const now = await this.resolver.resolve(token);
      if (now.status === 'suspended') throw new AppError(AccessErrors.accountSuspended);
      stream.expiresAt = now.expiresAt;
      if (!stream.done) {
        await this.repo.claim(
          stream.id,
          principal.userId,
          this.instanceId,
          this.config.limits.eventStreamsPerUser,
          this.ttlSeconds,
        );
        stream.claimed = true;
      }
    } catch (err) {
      this.remove(stream);
      throw err;
    }
    // old places of dead instances go a few at a time (a new stream of their user drops its own)
    if (Math.random() < 0.05) void this.repo.purgeExpired().catch(() => undefined);
    // a signal may have ended it meanwhile: it still gets its 200, then its `end`
    if (stream.done && stream.claimed && stream.reason !== 'replaced') this.release(stream);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 3000\n: connected\n\n');
    stream.started = true;
    if (stream.done) return this.close(stream);

    res.on('close', () => this.end(stream));
    // the client may have hung up during the awaits above: its 'close' has been and gone
    if (res.destroyed || res.socket?.destroyed) return this.end(stream);
    stream.renewedAt = Date.now();
    stream.heartbeat = setInterval(
      () => void this.beat(stream),
      this.config.limits.eventStreamHeartbeatSeconds * 1000,
    );
    stream.heartbeat.unref();
    this.armExpiry(stream);
    let unsubscribe: () => void;
    try {
      unsubscribe = await this.realtime.subscribe(
        principal.userId,
        lastEventId,
        (e: RealtimeEvent) => stream.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
        () => this.end(stream),
      );
    } catch (err) {
      // the replay after Last-Event-ID failed (the database): the 200 is sent, so the stream closes
      // without `end` and the client reconnects with the same Last-Event-ID
      this.logger.warn(`event stream ${stream.id} could not subscribe: ${(err as Error).message}`);
      return this.end(stream);
    }
    if (stream.done) unsubscribe();
    else stream.unsubscribe = unsubscribe;
  }

  /** How many streams this instance holds. */
  get streams(): number {
    return this.byId.size;
  }

  /** Ends a stream: with a reason, a final `end` event first; without (client gone, shutdown), none. */
  private end(stream: EventStream, reason?: StreamEndReason): void {
    if (stream.done) return;
    stream.done = true;
    stream.reason = reason;
    clearInterval(stream.heartbeat);
    clearTimeout(stream.expiry);
    stream.unsubscribe?.();
    this.remove(stream);
    // a stream pushed out has lost its row already
    if (stream.claimed && reason !== 'replaced') this.release(stream);
    if (stream.started) this.close(stream);
  }

  private close(stream: EventStream): void {
    if (stream.reason) stream.write(`event: end\ndata: ${JSON.stringify({ reason: stream.reason })}\n\n`);
    if (!stream.res.writableEnded) stream.res.end();
  }

  private release(stream: EventStream): void {
    // a row left behind (database unreachable, shutdown) expires after ttlSeconds
    void this.repo.release(stream.id).catch((err: Error) => {
      this.logger.debug(`event stream ${stream.id} not released: ${err.message}`);
    });
  }

  /** The keep-alive comment, the credential re-resolved, and the stream's place renewed. */
  private async beat(stream: EventStream): Promise<void> {
    if (stream.done || stream.beating) return;
    stream.beating = true;
    try {
      stream.write(': ping\n\n');
      const reason = await this.recheck(stream);
      if (reason) return this.end(stream, reason);
      if (await this.repo.renew(stream.id, this.ttlSeconds)) {
        stream.renewedAt = Date.now();
      } else if (Date.now() - stream.renewedAt >= this.ttlSeconds * 1000) {
        // not renewed for longer than its place lives (the database was away): the row expired and
        // went, it was not pushed out — close without `end`, so the client reconnects and claims anew
        this.end(stream);
      } else {
        this.end(stream, 'replaced');
      }
    } catch (err) {
      // the database unreachable: the stream stays (it delivers nothing meanwhile); next beat again
      this.logger.debug(`event stream ${stream.id} heartbeat: ${(err as Error).message}`);
    } finally {
      stream.beating = false;
    }
  }

  /** Why the stream's token no longer holds, or undefined while it does; re-arms its expiry. */
  private async recheck(stream: EventStream): Promise<StreamEndReason | undefined> {
    let now: Principal;
    try {
      now = await this.resolver.resolve(stream.token);
    } catch (err) {
      // only a verdict on the credential ends the stream; anything else (the database) is retried
      if (!isAppError(err)) throw err;
      const reason = VERDICTS[err.definition.code];
      if (!reason) throw err;
      return reason;
    }
    if (now.status === 'suspended') return 'account_suspended';
    stream.expiresAt = now.expiresAt;
    this.armExpiry(stream);
    return undefined;
  }

  /** Ends the stream when its token expires by the application clock. */
  private armExpiry(stream: EventStream): void {
    clearTimeout(stream.expiry);
    if (!stream.expiresAt || stream.done) return;
    const ms = stream.expiresAt.getTime() - this.clock.nowMs();
    if (ms <= 0) return this.end(stream, 'token_expired');
    stream.expiry = setTimeout(() => this.armExpiry(stream), Math.min(ms, MAX_TIMER_MS));
    stream.expiry.unref();
  }

  private onSignal(message: unknown): void {
    const m = message as Partial<EndSignal> | null;
    if (typeof m?.end !== 'string' || !Object.hasOwn(STREAM_END_REASONS, m.end)) return;
    const signal = m as EndSignal;
    if (Array.isArray(signal.ids)) {
      for (const id of signal.ids) {
        const stream = this.byId.get(id);
        if (stream) this.end(stream, signal.end);
      }
      return;
    }
    for (const stream of [...(this.byUser.get(signal.u ?? '') ?? [])]) {
      if (matches(stream, signal)) this.end(stream, signal.end);
    }
  }

  private add(stream: EventStream): void {
    this.byId.set(stream.id, stream);
    const userId = stream.principal.userId;
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(stream);
  }

  private remove(stream: EventStream): void {
    this.byId.delete(stream.id);
    const set = this.byUser.get(stream.principal.userId);
    set?.delete(stream);
    if (set?.size === 0) this.byUser.delete(stream.principal.userId);
  }
}
