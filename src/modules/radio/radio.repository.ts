import { Injectable } from '@nestjs/common';
import { notBlockedEitherWay } from '../social/blocks.sql';
import {
  type ArtistSummaryRow,
  artistSummaryColumns,
  trackSummaryColumns,
  type TrackSummaryRow,
} from '../tracks/track-summary';
import { trackPlayableSql } from '../tracks/track-visibility';
import { Prisma } from '@prisma/client';
import { type Keyset, olderThan } from '../../platform/pagination/pagination';
import { Database, type Db, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import { countPlaySql } from './play-counts';
import type { StationRule } from './seed-rules';

/**
 * What a listener may hear on the radio: the tracks module's rule (ready uploads; deleted tracks
 * are gone), on the radio's partial indexes.
 *
 * What is drawn is also never a track whose owner and the listener blocked each other (either
 * way): `draw` and `fallbackPool` take the listener's id for the social module's predicate.
 */
const PLAYABLE = trackPlayableSql('t');

/** A track as the radio shows it: the tracks module's summary, with its artist. */
export type RadioTrackRow = TrackSummaryRow & ArtistSummaryRow;

export interface SessionRow {
  id: string;
  userId: string;
  deviceId: string;
  stationId: string;
  rule: StationRule;
  currentTrackId: string | null;
  currentStartedAt: Date;
  nextTrackId: string | null;
  lastHeartbeatAt: Date;
  createdAt: Date;
  /** track ids of the session's last 20 plays, most recent first */
  recent: string[];
  /** the current track's duration (null: unknown) */
  currentDurationMs: number | null;
}

export interface SkipState extends SessionRow {
  /** the plan's skips per hour; null = unlimited */
  skipLimit: number | null;
  skipsUsed: number;
  oldestSkipAt: Date | null;
}

const SESSION_COLUMNS = `
  s.id, s.user_id AS "userId", s.device_id AS "deviceId", s.station_id AS "stationId", s.rule,
  s.current_track_id AS "currentTrackId", s.current_started_at AS "currentStartedAt",
  s.next_track_id AS "nextTrackId", s.last_heartbeat_at AS "lastHeartbeatAt", s.created_at AS "createdAt",
  ARRAY(SELECT l.track_id FROM listens l WHERE l.session_id = s.id ORDER BY l.created_at DESC LIMIT 20) AS recent,
  (SELECT ct.duration_ms FROM tracks ct WHERE ct.id = s.current_track_id) AS "currentDurationMs"`;

/** How many tracks the fallback (pools of ~20 or fewer) reads. */
const FALLBACK_POOL = 64;

/**
 * The SQL that walks a station's pool. A pool is a set of cells — one per genre, per (genre, key)
 * or per artist — each an equality prefix of one of the radio's indexes, ordered inside by
 * hashtext(id); the tempo rule is a filter on the few rows walked.
 */
function poolSql(rule: StationRule, params: unknown[]): { from: string; cell: string; filter: string } {
  const p = (v: unknown) => `$${params.push(v)}`;
  let from: string;
  let cell: string;
  if (rule.artists) {
    from = `unnest(${p(rule.artists)}::text[]) c(artist)`;
    cell = `t.artist_id = c.artist`;
  } else if (rule.keys) {
    from = `unnest(${p(rule.genres ?? [])}::text[]) c(genre) CROSS JOIN unnest(${p(rule.keys)}::int[]) k(code)`;
    cell = `t.genre = c.genre AND radio_key_code(t.musical_key) = k.code`;
  } else {
    from = `unnest(${p(rule.genres ?? [])}::text[]) c(genre)`;
    cell = `t.genre = c.genre`;
  }
  const filter = rule.bpm?.length
    ? `AND (${rule.bpm.map(([lo, hi]) => `t.bpm BETWEEN ${p(lo)}::int AND ${p(hi)}::int`).join(' OR ')})`
    : '';
  return { from, cell, filter };
}

const shapeOf = (rule: StationRule) =>
  `${rule.artists ? 'a' : rule.keys ? 'k' : 'g'}${rule.bpm?.length ?? 0}`;

// The statements on the path of every `next`, exported for the raw baseline of the benchmark
// (bench/radio-raw.mjs runs exactly these).

/** The open session with its last 20 plays (whose it is and who may use it: radio-session-access.ts). */
export const FIND_OPEN_SQL = `SELECT ${SESSION_COLUMNS} FROM radio_sessions s
  WHERE s.id = $1 AND s.ended_at IS NULL`;

/** Summaries of the playable tracks among $1. */
export const SUMMARIES_SQL = `SELECT ${trackSummaryColumns('t')}, ${artistSummaryColumns('a')}
  FROM tracks t LEFT JOIN artists a ON a.id = t.artist_id
  WHERE t.id = ANY($1::text[]) AND ${PLAYABLE}`;

/**
 * Moves a session on if it still plays what was read, and records the new current track's play
 * and count. $1 session, $2 user, $3 new current, $4 new next, $5 time, $6/$7 expected current/next,
 * $8 listen id.
 */
export const ADVANCE_SQL = `WITH adv AS (
    UPDATE radio_sessions SET current_track_id = $3, next_track_id = $4, current_started_at = $5,
           last_heartbeat_at = $5, updated_at = $5
    WHERE id = $1 AND user_id = $2 AND ended_at IS NULL
      AND current_track_id IS NOT DISTINCT FROM $6::text AND next_track_id IS NOT DISTINCT FROM $7::text
    RETURNING user_id, current_track_id
  ), listen AS (
    INSERT INTO listens (id, user_id, track_id, session_id, created_at)
    SELECT $8, user_id, current_track_id, $1, $5 FROM adv WHERE current_track_id IS NOT NULL
    RETURNING track_id
  ), ${countPlaySql({
    user: '$2',
    track: '$6::text',
    heardSeconds: 'floor(extract(epoch FROM ($5::timestamptz - $9::timestamptz)))',
    at: '$5',
    gate: 'adv',
  })}
  SELECT (SELECT count(*) FROM adv)::int AS advanced`;

/**
 * A random track of the pool, none of `exclude`: the first track at or after a random point
 * `from` of hashtext(id) in any cell, wrapping around to the smallest. Each cell is one index
 * range walked in order until a track passes the filters, so the cost depends on the number of
 * cells and on how many rows the filters skip, not on the catalogue's size.
 */
export function drawStatement(
  rule: StationRule,
  listener: string,
  from: number,
  exclude: string[],
): { text: string; values: unknown[]; name: string } {
  const values: unknown[] = [from, exclude, listener];
  const { from: cells, cell, filter } = poolSql(rule, values);
  const branch = (op: string, lap: number) =>
    `(SELECT t.id, hashtext(t.id) AS h, ${lap} AS lap FROM tracks t
      WHERE ${cell} AND ${PLAYABLE} AND hashtext(t.id) ${op} $1::int AND t.id <> ALL($2::text[]) ${filter}
        AND ${notBlockedEitherWay('$3', 't.owner_id')}
      ORDER BY hashtext(t.id) LIMIT 1)`;
  return {
    text: `SELECT p.id FROM ${cells} CROSS JOIN LATERAL (${branch('>=', 0)} UNION ALL ${branch('<', 1)}) p
      ORDER BY p.lap, p.h LIMIT 1`,
    values,
    name: `radio_draw_${shapeOf(rule)}`,
  };
}

@Injectable()
export class RadioRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  // ---- stations ---------------------------------------------------------------------------------

  /** Genres with playable tracks, alphabetically after `after` (a loose index scan). */
  async genres(take: number, after: string): Promise<string[]> {
    const rows = await this.db.query<{ genre: string }>(
      `WITH RECURSIVE g AS (
         (SELECT t.genre FROM tracks t WHERE ${PLAYABLE} AND t.genre > $1 ORDER BY t.genre LIMIT 1)
         UNION ALL
         SELECT (SELECT t.genre FROM tracks t WHERE ${PLAYABLE} AND t.genre > g.genre ORDER BY t.genre LIMIT 1)
         FROM g WHERE g.genre IS NOT NULL
       )
       SELECT genre FROM g WHERE genre IS NOT NULL LIMIT $2`,
      [after, take],
    );
    return rows.map((r) => r.genre);
  }

  async genreIsPlayable(genre: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM tracks t WHERE ${PLAYABLE} AND t.genre = $1 LIMIT 1`, [
      genre,
    ]);
    return rows.length > 0;
  }

  /** Artists with playable tracks, newest first. */
  artists(take: number, after?: Keyset) {
    const params: unknown[] = [take];
    const keyset = after
      ? `AND (a.created_at, a.id) < ($${params.push(after.at)}, $${params.push(after.id)})`
      : '';
    return this.db.query<{ id: string; name: string; slug: string; createdAt: Date }>(
      `SELECT a.id, a.name, a.slug, a.created_at AS "createdAt" FROM artists a
       WHERE EXISTS (SELECT 1 FROM tracks t WHERE t.artist_id = a.id AND ${PLAYABLE}) ${keyset}
       ORDER BY a.created_at DESC, a.id DESC LIMIT $1`,
      params,
    );
  }

  /** The artist, with its genres by number of playable tracks (most first, at most 3). */
  async artist(
    id: string,
  ): Promise<{ id: string; name: string; slug: string; genres: string[]; playable: boolean } | null> {
    const rows = await this.db.query<{ id: string; name: string; slug: string; genres: string[] }>(
      `SELECT a.id, a.name, a.slug,
              ARRAY(SELECT t.genre FROM tracks t WHERE t.artist_id = a.id AND ${PLAYABLE}
                    GROUP BY t.genre ORDER BY count(*) DESC, t.genre LIMIT 3) AS genres
       FROM artists a WHERE a.id = $1`,
      [id],
    );
    const row = rows[0];
    return row ? { ...row, playable: row.genres.length > 0 } : null;
  }

  /**
   * Artists close to `artistId`: those with the most playable tracks in its genres, estimated on a
   * fixed sample of each genre's index (the same points every time, so a station keeps its
   * neighbours from one session to the next, and the cost does not grow with the catalogue).
   * At most `take`.
   */
  async closeArtists(artistId: string, genres: string[], take: number): Promise<string[]> {
    const rows = await this.db.query<{ artist_id: string }>(
      `SELECT s.artist_id FROM unnest($1::text[]) c(genre)
       CROSS JOIN LATERAL (
         SELECT t.artist_id FROM tracks t
         WHERE t.genre = c.genre AND ${PLAYABLE} AND t.artist_id IS NOT NULL AND t.artist_id <> $2
         ORDER BY hashtext(t.id) LIMIT 200
       ) s
       GROUP BY s.artist_id ORDER BY count(*) DESC, s.artist_id LIMIT $3`,
      [genres, artistId, take],
    );
    return rows.map((r) => r.artist_id);
  }

  /** Playable tracks, newest first (track stations). */
  tracks(take: number, after?: Keyset) {
    const params: unknown[] = [take];
    const keyset = after
      ? `AND (t.created_at, t.id) < ($${params.push(after.at)}, $${params.push(after.id)})`
      : '';
    return this.db.query<RadioTrackRow & { createdAt: Date }>(
      `SELECT ${trackSummaryColumns('t')}, ${artistSummaryColumns('a')}, t.created_at AS "createdAt"
       FROM tracks t LEFT JOIN artists a ON a.id = t.artist_id
       WHERE ${PLAYABLE} ${keyset}
       ORDER BY t.created_at DESC, t.id DESC LIMIT $1`,
      params,
    );
  }

  /** Playable tracks among `ids` (others are left out). */
  summaries(ids: string[]): Promise<RadioTrackRow[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.db.query<RadioTrackRow>(SUMMARIES_SQL, [ids], 'radio_summaries');
  }

  // ---- selection --------------------------------------------------------------------------------

  /**
   * A random track of the pool, none of `exclude`: the first track at or after a random point
   * `from` of hashtext(id) in any cell, wrapping around to the smallest. Each cell is one index
   * range walked in order until a track passes the filters, so the cost depends on the number of
   * cells and on how many rows the filters skip, not on the catalogue's size. Null when every
   * track of the pool is excluded (or there is none).
   */
  async draw(
    rule: StationRule,
    listener: string,
    from: number,
    exclude: string[],
    db: Db = this.db,
  ): Promise<string | null> {
    const q = drawStatement(rule, listener, from, exclude);
    const rows = await db.query<{ id: string }>(q.text, q.values, q.name);
    return rows[0]?.id ?? null;
  }

  /** Up to 64 tracks of the pool, for the small pools where every track was played lately. */
  async fallbackPool(rule: StationRule, listener: string, db: Db = this.db): Promise<string[]> {
    const params: unknown[] = [listener];
    const { from: cells, cell, filter } = poolSql(rule, params);
    const rows = await db.query<{ id: string }>(
      `SELECT p.id FROM ${cells} CROSS JOIN LATERAL (
         SELECT t.id FROM tracks t WHERE ${cell} AND ${PLAYABLE} ${filter}
           AND ${notBlockedEitherWay('$1', 't.owner_id')}
         ORDER BY hashtext(t.id) LIMIT ${FALLBACK_POOL}
       ) p LIMIT ${FALLBACK_POOL}`,
      params,
    );
    return rows.map((r) => r.id);
  }

  // ---- sessions ---------------------------------------------------------------------------------

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * A start, under the user's radio lock (its own statement, so the next one sees every session
   * committed before the lock was ours): ends the user's open sessions on `deviceId` (taken over)
   * and those whose heartbeat is older than `liveSince` (lapsed), and says in the same statement
   * whether another live one remains.
   */
  async lockUserAndEndReplaceable(
    tx: Tx,
    userId: string,
    deviceId: string,
    liveSince: Date,
    at: Date,
  ): Promise<boolean> {
    await tx.query(
      'SELECT pg_advisory_xact_lock(hashtextextended($1, 11))',
      [`radio:${userId}`],
      'radio_lock_user',
    );
    const [row] = await tx.query<{ live: boolean }>(
      `WITH ended AS (
         UPDATE radio_sessions SET ended_at = $4, updated_at = $4
         WHERE user_id = $1 AND ended_at IS NULL AND (device_id = $2 OR last_heartbeat_at < $3)
         RETURNING id
       )
       SELECT EXISTS (SELECT 1 FROM radio_sessions WHERE user_id = $1 AND ended_at IS NULL
                        AND id NOT IN (SELECT id FROM ended)) AS live`,
      [userId, deviceId, liveSince, at],
      'radio_end_replaceable',
    );
    return row.live;
  }

  /** Inserts the session, its first play and the play's count, in one statement. */
  async insertSession(
    tx: Tx,
    s: {
      id: string;
      userId: string;
      deviceId: string;
      stationId: string;
      rule: StationRule;
      currentTrackId: string;
      nextTrackId: string | null;
      listenId: string;
      at: Date;
    },
  ): Promise<void> {
    await tx.execute(
      `WITH session AS (
         INSERT INTO radio_sessions (id, user_id, device_id, station_id, rule, current_track_id, current_started_at,
                                     next_track_id, last_heartbeat_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $9, $7, $9, $9, $9)
         RETURNING id, user_id, current_track_id
       )
       INSERT INTO listens (id, user_id, track_id, session_id, created_at)
       SELECT $8, user_id, current_track_id, id, $9 FROM session`,
      [
        s.id,
        s.userId,
        s.deviceId,
        s.stationId,
        JSON.stringify(s.rule),
        s.currentTrackId,
        s.nextTrackId,
        s.listenId,
        s.at,
      ],
      'radio_insert_session',
    );
  }

  /** The user's radio lock: session starts and skips of one user take turns on it. */
  async lockUser(tx: Tx, userId: string): Promise<void> {
    await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 11))`, [`radio:${userId}`]);
  }

  /** The open session (ended or unknown: null), whoever's it is. */
  async findOpen(id: string): Promise<SessionRow | null> {
    const rows = await this.db.query<SessionRow>(FIND_OPEN_SQL, [id], 'radio_find_open');
    return rows[0] ?? null;
  }

  /**
   * Under the user's lock: the user's open session locked for this transaction (only the user's:
   * nobody else's request takes its lock), with the plan's skip limit and the user's skips since
   * `windowStart`.
   */
  async lockForSkip(tx: Tx, id: string, userId: string, windowStart: Date): Promise<SkipState | null> {
    const rows = await tx.query<SkipState>(
      `SELECT ${SESSION_COLUMNS}, p.radio_skips_per_hour AS "skipLimit",
              (SELECT count(*)::int FROM radio_skips k WHERE k.user_id = s.user_id AND k.created_at > $3) AS "skipsUsed",
              (SELECT min(k.created_at) FROM radio_skips k WHERE k.user_id = s.user_id AND k.created_at > $3) AS "oldestSkipAt"
       FROM radio_sessions s JOIN users u ON u.id = s.user_id JOIN plans p ON p.id = u.plan_id
       WHERE s.id = $1 AND s.user_id = $2 AND s.ended_at IS NULL
       FOR UPDATE OF s`,
      [id, userId, windowStart],
    );
    return rows[0] ?? null;
  }

  async recordSkip(
    tx: Tx,
    k: { id: string; userId: string; sessionId: string; trackId: string | null; at: Date },
  ) {
    await tx.execute(
      `
      INSERT INTO radio_skips (id, user_id, session_id, track_id, created_at)
      VALUES ($1, $2, $3, $4, $5)`,
      [k.id, k.userId, k.sessionId, k.trackId, k.at],
    );
  }

  /**
   * Moves the session on, if it still plays `expected` (else false: another request moved it
   * first), and records the new current track's play and count — one statement.
   */
  async advance(
    a: {
      sessionId: string;
      userId: string;
      /** what the session plays now, and since when (the play of `current` counts by how long it was heard) */
      expected: { current: string | null; next: string | null; startedAt: Date };
      current: string | null;
      next: string | null;
      listenId: string;
      at: Date;
    },
    tx?: Tx,
  ): Promise<boolean> {
    const rows = await (tx ?? this.db).query<{ advanced: number }>(
      ADVANCE_SQL,
      [
        a.sessionId,
        a.userId,
        a.current,
        a.next,
        a.at,
        a.expected.current,
        a.expected.next,
        a.listenId,
        a.expected.startedAt,
      ],
      'radio_advance',
    );
    return rows[0]?.advanced === 1;
  }

  /** Run `draw` inside a transaction. */
  drawIn(
    tx: Tx,
    rule: StationRule,
    listener: string,
    from: number,
    exclude: string[],
  ): Promise<string | null> {
    return this.draw(rule, listener, from, exclude, tx);
  }

  fallbackPoolIn(tx: Tx, rule: StationRule, listener: string): Promise<string[]> {
    return this.fallbackPool(rule, listener, tx);
  }

  /** The session's heartbeat, which keeps its device's live stream (live-streams.ts) too. */
  async heartbeat(id: string, userId: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `WITH s AS (
         UPDATE radio_sessions SET last_heartbeat_at = $3, updated_at = $3
         WHERE id = $1 AND user_id = $2 AND ended_at IS NULL RETURNING user_id, device_id
       ), live AS (
         UPDATE live_streams l SET last_seen_at = $3 FROM s WHERE l.user_id = s.user_id AND l.device_id = s.device_id
       )
       SELECT 1 FROM s`,
      [id, userId, at],
      'radio_heartbeat',
    );
    return rows.length === 1;
  }

  /** Ends the session and frees its device's live stream. */
  async end(id: string, userId: string, at: Date): Promise<boolean> {
    const rows = await this.db.query(
      `WITH s AS (
         UPDATE radio_sessions SET ended_at = $3, updated_at = $3
         WHERE id = $1 AND user_id = $2 AND ended_at IS NULL RETURNING user_id, device_id
       ), live AS (
         DELETE FROM live_streams l USING s WHERE l.user_id = s.user_id AND l.device_id = s.device_id
       )
       SELECT 1 FROM s`,
      [id, userId, at],
    );
    return rows.length === 1;
  }

  /** The user's skips since `windowStart`, and the plan's limit. */
  async skipAllowance(
    userId: string,
    windowStart: Date,
  ): Promise<{ skipLimit: number | null; skipsUsed: number; oldestSkipAt: Date | null }> {
    const rows = await this.db.query<{
      skipLimit: number | null;
      skipsUsed: number;
      oldestSkipAt: Date | null;
    }>(
      `SELECT p.radio_skips_per_hour AS "skipLimit",
              (SELECT count(*)::int FROM radio_skips k WHERE k.user_id = u.id AND k.created_at > $2) AS "skipsUsed",
              (SELECT min(k.created_at) FROM radio_skips k WHERE k.user_id = u.id AND k.created_at > $2) AS "oldestSkipAt"
       FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = $1`,
      [userId, windowStart],
    );
    return rows[0];
  }

  // ---- history and counts -----------------------------------------------------------------------

  listens(userId: string, take: number, after?: Keyset) {
    return this.prisma.listen.findMany({
      where: {
        userId,
        ...olderThan(after),
      },
      include: { track: { include: { artist: { select: { id: true, name: true, slug: true } } } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  async plays(trackId: string): Promise<number> {
    const row = await this.prisma.trackPlayCount.findUnique({ where: { trackId } });
    return row ? Number(row.plays) : 0;
  }
}

export type ListenRow = Prisma.ListenGetPayload<{
  include: { track: { include: { artist: { select: { id: true; name: true; slug: true } } } } };
}>;
