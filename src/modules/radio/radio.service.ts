import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { byCreation, decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import type { Tx } from '../../platform/database/database';
import { pgErrorOf } from '../../platform/database/db-errors';
import type { LibraryEntryDto } from '../library/dto/library.dto';
import { LibraryService } from '../library/library.service';
import { trackAccess } from '../tracks/track-access';
import { summaryRowOf } from '../tracks/track-summary';
import { TracksErrors } from '../tracks/tracks.errors';
import { TracksService } from '../tracks/tracks.service';
import type {
  AdvanceDto,
  ListenDto,
  RadioSessionDto,
  StartSessionDto,
  StationDto,
  TrackPlaysDto,
} from './dto/radio.dto';
import { radioSessionAccess } from './radio-session-access';
import { LiveStreams } from './live-streams';
import { RadioErrors } from './radio.errors';
import { type ListenRow, RadioRepository, type SessionRow } from './radio.repository';
import { parseStationId, type StationRule } from './seed-rules';
import { StationsService, toRadioTrackDto } from './stations.service';

const HOUR_SECONDS = 3600;
/** Attempts at moving a session on when other requests keep moving it first. */
const ADVANCE_ATTEMPTS = 5;

/** The rule as stored with a session: the station's name rides along for the responses. */
type StoredRule = StationRule & { station_name: string };

/** A random point of hashtext()'s range (int4), where a draw starts walking. */
const randomPoint = (): number => Math.floor(Math.random() * 2 ** 32) - 2 ** 31;

/** SQLSTATE of a failed statement, from Prisma or from pg. */
const sqlState = (err: unknown): string | undefined =>
  pgErrorOf(err)?.code ??
  (typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined);

/** The state of a session after it moved, without reading it again. */
interface View {
  id: string;
  stationId: string;
  rule: StationRule;
  deviceId: string;
  currentTrackId: string | null;
  currentStartedAt: Date;
  nextTrackId: string | null;
  lastHeartbeatAt: Date;
  createdAt: Date;
}

@Injectable()
export class RadioService {
  constructor(
    private readonly repo: RadioRepository,
    private readonly stations: StationsService,
    private readonly tracks: TracksService,
    private readonly library: LibraryService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly live: LiveStreams,
  ) {}

  // ---- sessions ---------------------------------------------------------------------------------

  /**
   * Starts a session: the station is resolved and the first two tracks drawn (reads, no lock), then
   * one short transaction under the user's advisory lock ends the user's open session on this
   * device (taken over) and any whose heartbeat lapsed, refuses with concurrent_stream_limit when
   * another live one remains, and inserts the session with its first play. The partial unique
   * index (one open session per user) backs the lock up.
   */
  async start(principal: Principal, dto: StartSessionDto): Promise<RadioSessionDto> {
    const station = await this.stations.resolve(dto.station_id);
    const current = station.first ?? (await this.pick(station.rule, principal.userId, [], []));
    if (!current) throw new AppError(RadioErrors.stationNotFound);
    const next = await this.pick(station.rule, principal.userId, [], [current]);
    const now = this.clock.now();
    const liveSince = addSeconds(now, -this.config.limits.streamHeartbeatSeconds);
    const session = {
      id: newId('rds'),
      userId: principal.userId,
      deviceId: dto.device_id,
      stationId: station.station.id,
      rule: { ...station.rule, station_name: station.station.name } satisfies StoredRule,
      currentTrackId: current,
      nextTrackId: next,
      listenId: newId('lsn'),
      at: now,
    };
    await this.repo
      .transaction(async (tx) => {
        if (await this.repo.lockUserAndEndReplaceable(tx, principal.userId, dto.device_id, liveSince, now))
          throw new AppError(RadioErrors.concurrentStreamLimit);
        // on-demand playback on another device counts too (the listening module's streams)
        if (!(await this.live.claim(tx, principal.userId, dto.device_id, now)))
          throw new AppError(RadioErrors.concurrentStreamLimit);
        await this.repo.insertSession(tx, session);
      })
      .catch((err: unknown) => {
        if (pgErrorOf(err)?.constraint === 'radio_sessions_one_open_per_user')
          throw new AppError(RadioErrors.concurrentStreamLimit);
        // a drawn track was deleted meanwhile: the station as it is now
        if (sqlState(err) === '23503') throw new AppError(RadioErrors.stationNotFound);
        throw err;
      });
    return this.view({ ...session, currentStartedAt: now, lastHeartbeatAt: now, createdAt: now });
  }

  async get(principal: Principal, id: string): Promise<RadioSessionDto> {
    const s = await this.openSession(principal, id);
    const now = this.clock.now();
    const allowance = await this.repo.skipAllowance(principal.userId, addSeconds(now, -HOUR_SECONDS));
    return this.view(s, {
      skips_remaining:
        allowance.skipLimit === null ? null : Math.max(0, allowance.skipLimit - allowance.skipsUsed),
    });
  }

  /** The writes keep their `user_id` guard: the session may have ended since it was read. */
  async heartbeat(principal: Principal, id: string): Promise<RadioSessionDto> {
    const s = await this.openSession(principal, id);
    const at = this.clock.now();
    if (!(await this.repo.heartbeat(s.id, s.userId, at)))
      throw new AppError(RadioErrors.radioSessionNotFound);
    return this.view({ ...s, lastHeartbeatAt: at });
  }

  async end(principal: Principal, id: string): Promise<void> {
    const s = await this.openSession(principal, id);
    if (!(await this.repo.end(s.id, s.userId, this.clock.now())))
      throw new AppError(RadioErrors.radioSessionNotFound);
  }

  /**
   * The current track ended: the upcoming one plays, a new one is drawn behind it, the play is
   * recorded. Optimistic: one conditional statement moves the session only if it still plays
   * what was read (else another request moved it first, and this one reads again).
   */
  async next(principal: Principal, id: string, dto: AdvanceDto): Promise<RadioSessionDto> {
    for (let attempt = 0; ; attempt++) {
      const s = await this.openSession(principal, id);
      if (dto.track_id !== undefined && dto.track_id !== s.currentTrackId) return this.view(s);
      const moved = await this.advance(s);
      if (moved) return this.view(moved);
      if (attempt >= ADVANCE_ATTEMPTS) return this.view(await this.openSession(principal, id));
    }
  }

  /**
   * Skips the current track, counted against the plan's skips per rolling hour — unless the track
   * was already over by the clock (then it is a `next`, not counted). Under the user's advisory
   * lock and the session's row lock: the count, the skip and the move happen together, so the
   * limit holds under concurrent skips from any instance; the plan is read in the same
   * transaction, so a plan change applies at the next skip.
   */
  async skip(principal: Principal, id: string, dto: AdvanceDto): Promise<RadioSessionDto> {
    const now = this.clock.now();
    const { view, remaining } = await this.repo.transaction(async (tx) => {
      await this.repo.lockUser(tx, principal.userId);
      const s = radioSessionAccess.assert(
        principal,
        'listen',
        await this.repo.lockForSkip(tx, id, principal.userId, addSeconds(now, -HOUR_SECONDS)),
      );
      const left = (counted: boolean) =>
        s.skipLimit === null ? null : Math.max(0, s.skipLimit - s.skipsUsed - (counted ? 1 : 0));
      if (dto.track_id !== undefined && dto.track_id !== s.currentTrackId)
        return { view: s, remaining: left(false) };
      const over =
        s.currentTrackId === null ||
        (s.currentDurationMs !== null && s.currentStartedAt.getTime() + s.currentDurationMs <= now.getTime());
      if (!over) {
        if (s.skipLimit !== null && s.skipsUsed >= s.skipLimit) {
          const oldest = s.oldestSkipAt ?? now;
          const retryAfter = Math.max(
            1,
            Math.ceil((oldest.getTime() + HOUR_SECONDS * 1000 - now.getTime()) / 1000),
          );
          throw new AppError(RadioErrors.skipLimitReached, {
            context: { retry_after: retryAfter },
            headers: { 'Retry-After': String(retryAfter) },
          });
        }
        await this.repo.recordSkip(tx, {
          id: newId('skp'),
          userId: principal.userId,
          sessionId: s.id,
          trackId: s.currentTrackId,
          at: now,
        });
      }
      const moved = await this.advance(s, tx);
      // under the session's row lock nothing else moves it
      if (!moved) throw new Error(`radio session ${s.id} did not move under its lock`);
      return { view: moved, remaining: left(!over) };
    });
    return this.view(view, { skips_remaining: remaining });
  }

  /**
   * A like from the radio: the playing track is saved to the caller's library (the library's own
   * rules: track_already_saved, library_full, track_not_found when it was deleted meanwhile).
   */
  async like(principal: Principal, id: string): Promise<LibraryEntryDto> {
    const s = await this.openSession(principal, id);
    if (!s.currentTrackId) throw new AppError(TracksErrors.trackNotFound);
    return this.library.save(principal, s.currentTrackId);
  }

  // ---- history and counts -----------------------------------------------------------------------

  async listens(principal: Principal, query: PageQueryDto): Promise<Page<ListenDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.listens(principal.userId, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, byCreation, toListenDto);
  }

  /** Radio plays of a track: its credited producers and admins (not_credited_producer otherwise). */
  async plays(principal: Principal, trackId: string): Promise<TrackPlaysDto> {
    const track = trackAccess.assert(principal, 'stats', await this.tracks.visibleTrack(trackId, principal));
    return { track_id: track.id, plays: await this.repo.plays(track.id) };
  }

  // ---- internals --------------------------------------------------------------------------------

  /** The open session, when it is the caller's (radio_session_not_found otherwise). */
  private async openSession(principal: Principal, id: string): Promise<SessionRow> {
    return radioSessionAccess.assert(principal, 'listen', await this.repo.findOpen(id));
  }

  /**
   * Moves `s` on by one track: the upcoming track becomes current (drawn now if there was none),
   * and a new upcoming one is drawn that is none of the last 20 played. Null when another request
   * moved the session first (or a drawn track was deleted meanwhile).
   */
  private async advance(s: SessionRow, tx?: Tx): Promise<View | null> {
    const current =
      s.nextTrackId ??
      (await this.pick(s.rule, s.userId, s.recent, s.currentTrackId ? [s.currentTrackId] : [], tx));
    const next = current ? await this.pick(s.rule, s.userId, s.recent, [current], tx) : null;
    const at = this.clock.now();
    try {
      const moved = await this.repo.advance(
        {
          sessionId: s.id,
          userId: s.userId,
          expected: { current: s.currentTrackId, next: s.nextTrackId, startedAt: s.currentStartedAt },
          current,
          next,
          listenId: newId('lsn'),
          at,
        },
        tx,
      );
      if (!moved) return null;
    } catch (err) {
      if (!tx && sqlState(err) === '23503') return null;
      throw err;
    }
    return { ...s, currentTrackId: current, nextTrackId: next, currentStartedAt: at, lastHeartbeatAt: at };
  }

  /**
   * A track of the station that is none of `avoid` nor of `recent` nor owned by someone the
   * listener blocked or who blocked the listener (the session's last 20 plays,
   * most recent first). When the pool is too small for that, the track played longest ago (never
   * one of `avoid` if the pool has another).
   */
  private async pick(
    rule: StationRule,
    listener: string,
    recent: string[],
    avoid: string[],
    tx?: Tx,
  ): Promise<string | null> {
    const exclude = [...avoid, ...recent];
    const drawn = tx
      ? await this.repo.drawIn(tx, rule, listener, randomPoint(), exclude)
      : await this.repo.draw(rule, listener, randomPoint(), exclude);
    if (drawn) return drawn;
    const pool = tx
      ? await this.repo.fallbackPoolIn(tx, rule, listener)
      : await this.repo.fallbackPool(rule, listener);
    if (!pool.length) return null;
    const age = (id: string) => {
      if (avoid.includes(id)) return -1;
      const i = recent.indexOf(id);
      return i < 0 ? Infinity : i;
    };
    const best = Math.max(...pool.map(age));
    const candidates = pool.filter((id) => age(id) === best);
    return candidates[Math.floor(Math.random() * candidates.length)];
  }

  private async view(s: View, extra: { skips_remaining?: number | null } = {}): Promise<RadioSessionDto> {
    const ids = [s.currentTrackId, s.nextTrackId].filter((x): x is string => !!x);
    const tracks = new Map((await this.repo.summaries(ids)).map((t) => [t.id, toRadioTrackDto(t)]));
    const now = this.clock.now();
    return {
      session_id: s.id,
      station: stationOf(s),
      device_id: s.deviceId,
      track: (s.currentTrackId && tracks.get(s.currentTrackId)) || null,
      track_started_at: s.currentStartedAt.toISOString(),
      next_track: (s.nextTrackId && tracks.get(s.nextTrackId)) || null,
      last_heartbeat_at: s.lastHeartbeatAt.toISOString(),
      live: now.getTime() - s.lastHeartbeatAt.getTime() <= this.config.limits.streamHeartbeatSeconds * 1000,
      ...extra,
      created_at: s.createdAt.toISOString(),
    };
  }
}

function stationOf(s: View): StationDto {
  const parsed = parseStationId(s.stationId);
  return {
    id: s.stationId,
    type: parsed?.type ?? 'genre',
    name: (s.rule as Partial<StoredRule>).station_name ?? parsed?.value ?? s.stationId,
  };
}

const toListenDto = (l: ListenRow): ListenDto => ({
  id: l.id,
  track: toRadioTrackDto(summaryRowOf(l.track)),
  session_id: l.sessionId,
  played_at: l.createdAt.toISOString(),
});
