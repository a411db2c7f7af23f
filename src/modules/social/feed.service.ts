import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { pageLimit } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { Database } from '../../platform/database/database';
import type { TrackSummaryRow } from '../tracks/track-summary';
import type { FeedEntryDto, FeedPageDto } from './dto/social.dto';
import { FEED_SQL } from './feed.sql';

/** A feed entry: its track (the tracks module's summary, and what the feed adds) and its activity. */
interface FeedRow extends TrackSummaryRow {
  owner_name: string;
  external_url: string | null;
  created_at: Date;
  activity_at: Date;
  posted: boolean;
  reposter_count: number;
  reposted_by: { id: string; display_name: string }[];
  repost_count: number;
}

/** Position in a feed: the first page's snapshot time, then the last entry's (activity, track). */
interface FeedCursor {
  asOf: Date;
  at: Date | null;
  id: string;
}

const encode = (c: FeedCursor): string =>
  Buffer.from(JSON.stringify([c.asOf.toISOString(), c.at?.toISOString() ?? null, c.id])).toString(
    'base64url',
  );

function decode(cursor: string): FeedCursor {
  try {
    const [asOf, at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const c = { asOf: new Date(asOf as string), at: at === null ? null : new Date(at as string), id };
    if (typeof id !== 'string' || Number.isNaN(c.asOf.getTime()) || (c.at && Number.isNaN(c.at.getTime())))
      throw new Error('bad cursor');
    return c as FeedCursor;
  } catch {
    throw new AppError(GeneralErrors.validationFailed, { errors: { cursor: ['cursor is not valid'] } });
  }
}

/**
 * GET /feed: fan-out on read over the follow graph's indexes (see feed.sql.ts and README
 * "Feed"). The cursor carries the first page's time, so pages stay consistent while new items
 * arrive: nothing repeats and nothing is skipped; what happened since shows on a refresh.
 */
@Injectable()
export class FeedService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  private async followingCount(userId: string): Promise<number> {
    const [row] = await this.db.query<{ following: number }>(
      `SELECT following FROM follow_counts WHERE user_id = $1`,
      [userId],
      'feed_following_count',
    );
    return row?.following ?? 0;
  }

  async feed(principal: Principal, query: PageQueryDto): Promise<FeedPageDto> {
    const limit = pageLimit(query);
    const cursor = query.cursor ? decode(query.cursor) : { asOf: this.clock.now(), at: null, id: '' };
    let k = 2 * (limit + 1);
    let following: number | undefined;
    let rows: FeedRow[];
    for (;;) {
      rows = await this.db.query<FeedRow>(
        FEED_SQL,
        [principal.userId, cursor.asOf, cursor.at ?? 'infinity', cursor.id, k, limit + 1],
        'feed_page',
      );
      if (rows.length > limit) break;
      // fewer than asked: final, unless the threshold left some followed accounts out
      following ??= await this.followingCount(principal.userId);
      if (k >= following) break;
      k *= 4;
    }
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return {
      data: page.map(toEntry),
      next_cursor: more ? encode({ asOf: cursor.asOf, at: last.activity_at, id: last.id }) : null,
    };
  }
}

const toEntry = (r: FeedRow): FeedEntryDto => ({
  track: {
    id: r.id,
    title: r.title,
    owner_id: r.owner_id,
    owner_name: r.owner_name,
    genre: r.genre,
    bpm: r.bpm,
    key: r.musical_key,
    source: r.source,
    external_url: r.external_url,
    duration_ms: r.duration_ms,
    repost_count: r.repost_count,
    created_at: r.created_at.toISOString(),
  },
  activity_at: r.activity_at.toISOString(),
  posted_by_followed: r.posted,
  reposted_by: r.reposted_by,
  reposted_by_count: r.reposter_count,
});
