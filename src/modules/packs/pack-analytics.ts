import { Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { Clock } from '../../platform/clock/clock';
import { AppSecret } from '../../platform/crypto/app-secret';
import { Database } from '../../platform/database/database';
import { pgErrorOf } from '../../platform/database/db-errors';
import type { PackLinkAnalyticsDto, PackLinkDayDto } from './dto/pack.dto';

export type PackEvent = 'view' | 'play' | 'download';

/**
 * The analytics store of pack links (tables pack_link_stats and pack_link_visitors): per link, day
 * and track, views (track '' = the pack page), qualified plays, downloads, and the distinct
 * visitors as a salted hash of the IP — the salt is derived from the app secret and the day, so
 * a visitor is the same within a day and no raw IP (nor a hash comparable across days) is kept.
 *
 * The store is secondary: recording never fails the public request (caught and logged), and both
 * recording and reading wait at most LOCK_TIMEOUT for a lock and STATEMENT_TIMEOUT in all — a
 * store that cannot answer (locked, slow, unreachable) gives `{available: false, reason}` to the
 * producer instead of an error. The e2e test provokes it by holding an ACCESS EXCLUSIVE lock on
 * pack_link_stats from another connection.
 */
const LOCK_TIMEOUT = '1s';
const STATEMENT_TIMEOUT = '3s';

@Injectable()
export class PackAnalytics {
  private readonly logger = new Logger(PackAnalytics.name);

  constructor(
    private readonly db: Database,
    private readonly secret: AppSecret,
    private readonly clock: Clock,
  ) {}

  /** The day's salted hash of a visitor's IP (base64url, 128 bits). */
  visitor(ip: string, day: string): string {
    const salt = createHmac('sha256', this.secret.value).update(`pack-visitor:${day}`).digest();
    return createHmac('sha256', salt).update(ip).digest().subarray(0, 16).toString('base64url');
  }

  /**
   * Records one event (`counts` false: only the visitor, e.g. a play under 30 s); never throws —
   * the public request goes on whatever the store does.
   */
  async record(
    linkId: string,
    trackId: string | null,
    event: PackEvent,
    ip: string,
    counts = true,
  ): Promise<void> {
    const day = this.clock.now().toISOString().slice(0, 10);
    const column = event === 'view' ? 'views' : event === 'play' ? 'plays' : 'downloads';
    try {
      await this.db.transaction(async (tx) => {
        await tx.execute(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        await tx.execute(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
        await tx.execute(
          `INSERT INTO pack_link_stats AS s (link_id, day, track_id, ${column}) VALUES ($1, $2::date, $3, $4)
           ON CONFLICT (link_id, day, track_id) DO UPDATE SET ${column} = s.${column} + EXCLUDED.${column}`,
          [linkId, day, trackId ?? '', counts ? 1 : 0],
        );
        await tx.execute(
          `INSERT INTO pack_link_visitors (link_id, day, track_id, visitor) VALUES ($1, $2::date, $3, $4)
           ON CONFLICT DO NOTHING`,
          [linkId, day, trackId ?? '', this.visitor(ip, day)],
        );
      });
    } catch (err) {
      this.logger.warn(
        `pack link ${linkId}: a ${event} was not recorded (${pgErrorOf(err)?.code ?? (err as Error).message})`,
      );
    }
  }

  /** Per day (newest first) and track; `{available: false}` when the store cannot be read. */
  async read(linkId: string): Promise<PackLinkAnalyticsDto> {
    try {
      const [stats, visitors] = await this.db.transaction(async (tx) => {
        await tx.execute(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        await tx.execute(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
        const s = await tx.query<StatRow>(
          `SELECT to_char(day, 'YYYY-MM-DD') AS day, track_id AS "trackId", views, plays, downloads,
             (SELECT count(*)::int FROM pack_link_visitors v
              WHERE v.link_id = s.link_id AND v.day = s.day AND v.track_id = s.track_id) AS visitors
           FROM pack_link_stats s WHERE s.link_id = $1 ORDER BY day DESC, track_id`,
          [linkId],
        );
        const v = await tx.query<{ day: string; visitors: number }>(
          `SELECT to_char(day, 'YYYY-MM-DD') AS day, count(DISTINCT visitor)::int AS visitors
           FROM pack_link_visitors WHERE link_id = $1 GROUP BY day`,
          [linkId],
        );
        return [s, v] as const;
      });
      return { available: true, days: byDay(stats, visitors) };
    } catch (err) {
      const code = pgErrorOf(err)?.code;
      this.logger.warn(`pack link ${linkId}: analytics unavailable (${code ?? (err as Error).message})`);
      return {
        available: false,
        reason:
          code === '55P03' || code === '57014'
            ? 'The analytics store did not answer in time; the pack and its links work as usual.'
            : 'The analytics store could not be read; the pack and its links work as usual.',
      };
    }
  }
}

interface StatRow {
  day: string;
  trackId: string;
  views: number;
  plays: number;
  downloads: number;
  visitors: number;
}

function byDay(
  stats: readonly StatRow[],
  visitors: readonly { day: string; visitors: number }[],
): PackLinkDayDto[] {
  const days = new Map<string, PackLinkDayDto>();
  for (const r of stats) {
    let d = days.get(r.day);
    if (!d) {
      d = { day: r.day, views: 0, visitors: 0, plays: 0, downloads: 0, tracks: [] };
      days.set(r.day, d);
    }
    d.views += r.views;
    d.plays += r.plays;
    d.downloads += r.downloads;
    if (r.trackId !== '')
      d.tracks.push({ track_id: r.trackId, plays: r.plays, downloads: r.downloads, visitors: r.visitors });
  }
  for (const v of visitors) {
    const d = days.get(v.day);
    if (d) d.visitors = v.visitors;
  }
  return [...days.values()];
}
