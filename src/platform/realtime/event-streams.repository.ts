import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { CONTROL_CHANNEL } from './realtime.service';

/** the second key of a user's advisory lock for stream places (library: 1001, playlists: 1002) */
const LOCK_SEED = 1003;

/**
 * One row per open GET /me/events stream, whichever instance holds it (`event_streams`): the
 * per-user cap counts them. Liveness is the database's own time (`now()`), not the application
 * clock: a test moving the clock forward must not make every open stream look dead.
 */
@Injectable()
export class EventStreamsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Takes a place for a new stream and frees the user's oldest beyond `cap` (this one included),
   * under the user's advisory lock, so opens at once on any instances leave at most `cap` rows; the
   * instances holding the streams pushed out hear of it by NOTIFY when this commits. Rows past their
   * expiry (an instance that died) are dropped without counting. Returns the ids pushed out.
   */
  claim(id: string, userId: string, instanceId: string, cap: number, ttlSeconds: number): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, ${LOCK_SEED}))`, [userId]);
      const gone = await tx.query<{ id: string; live: boolean }>(
        `DELETE FROM event_streams
         WHERE user_id = $1
           AND (expires_at <= now()
                OR id IN (SELECT id FROM event_streams WHERE user_id = $1 AND expires_at > now()
                          ORDER BY seq DESC OFFSET $2))
         RETURNING id, expires_at > now() AS live`,
        [userId, cap - 1],
      );
      await tx.execute(
        `INSERT INTO event_streams (id, user_id, instance_id, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
        [id, userId, instanceId, ttlSeconds],
      );
      const replaced = gone.filter((r) => r.live).map((r) => r.id);
      if (replaced.length) {
        await tx.execute(`SELECT pg_notify($1, $2)`, [
          CONTROL_CHANNEL,
          JSON.stringify({ end: 'replaced', ids: replaced }),
        ]);
      }
      return replaced;
    });
  }

  /** Extends a stream's place; false when it is gone (pushed out by a newer stream, or expired). */
  async renew(id: string, ttlSeconds: number): Promise<boolean> {
    const n = await this.db.execute(
      `UPDATE event_streams SET expires_at = now() + make_interval(secs => $2) WHERE id = $1`,
      [id, ttlSeconds],
      'event_stream_renew',
    );
    return n === 1;
  }

  async release(id: string): Promise<void> {
    await this.db.execute(`DELETE FROM event_streams WHERE id = $1`, [id], 'event_stream_release');
  }

  /** Drops the places of instances that died (nobody renewed them). */
  async purgeExpired(): Promise<void> {
    await this.db.execute(`DELETE FROM event_streams WHERE expires_at <= now()`);
  }
}
