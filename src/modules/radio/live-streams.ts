import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { addSeconds } from '../../platform/clock/clock';
import type { Db } from '../../platform/database/database';

/**
 * One live stream per user, across all listening: radio sessions and on-demand playback
 * (the listening module) keep the user's one row of `live_streams` — the device that streams and
 * when it was last heard from. A device claims it when it starts (or keeps) streaming; another
 * device may take it only once the holder's heartbeat lapsed (LIMIT_STREAM_HEARTBEAT_SECONDS),
 * the same device always. One conditional upsert decides, so concurrent starts on any number of
 * instances leave exactly one device live.
 */
@Injectable()
export class LiveStreams {
  constructor(private readonly config: AppConfig) {}

  /** True when `deviceId` holds the user's live stream now; false: another device is live. */
  async claim(db: Db, userId: string, deviceId: string, now: Date): Promise<boolean> {
    const lapsed = addSeconds(now, -this.config.limits.streamHeartbeatSeconds);
    const rows = await db.query(
      `INSERT INTO live_streams AS l (user_id, device_id, last_seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET device_id = EXCLUDED.device_id, last_seen_at = EXCLUDED.last_seen_at
       WHERE l.device_id = EXCLUDED.device_id OR l.last_seen_at < $4
       RETURNING 1`,
      [userId, deviceId, now, lapsed],
      'live_stream_claim',
    );
    return rows.length > 0;
  }
}
