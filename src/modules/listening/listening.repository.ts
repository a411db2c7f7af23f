import { Injectable } from '@nestjs/common';
import { Database, type Db, type Tx } from '../../platform/database/database';
import { lockObject, StorageKeeper } from '../../platform/storage/storage-keeper';
import { countPlaySql } from '../radio/play-counts';
import { notBlockedEitherWay } from '../social/blocks.sql';
import type { TrackVisibilityFacts } from '../tracks/track-visibility';

/** A stored rendition: its object, its size and type; `voiceTag` the tag it was made with. */
export interface RenditionRef {
  sha256: string;
  bytes: number;
  contentType: string;
  voiceTag: string | null;
}

/** What deciding who hears which rendition of a track reads, in one statement. */
export interface StreamFacts extends TrackVisibilityFacts {
  id: string;
  title: string;
  durationMs: number | null;
  /** the owner and the caller blocked each other (either way) */
  blocked: boolean;
  /** the caller holds an active license of the track */
  licensed: boolean;
  clean: RenditionRef | null;
  tagged: RenditionRef | null;
  /** the producer's current voice tag (its object), null without one */
  voiceTag: string | null;
}

export interface StoredPeaks {
  sampleRate: number;
  samplesPerPixel: number;
  data: number[];
  createdAt: Date;
}

const RENDITION_JSON = (kind: string) => `(SELECT json_build_object('sha256', r.sha256, 'bytes', r.size_bytes,
    'contentType', r.content_type, 'voiceTag', r.voice_tag_sha256)
  FROM track_renditions r WHERE r.track_id = t.id AND r.kind = '${kind}')`;

/** `$1` the track, `$2` the caller ('' when anonymous). */
const STREAM_FACTS_SQL = `
  SELECT t.id, t.title, t.owner_id AS "ownerId", t.source::text AS source, t.processing_status::text AS "processingStatus",
    t.duration_ms AS "durationMs",
    COALESCE((SELECT json_agg(json_build_object('userId', c.user_id)) FROM track_collaborators c
              WHERE c.track_id = t.id), '[]'::json) AS collaborators,
    ($2 <> '' AND NOT ${notBlockedEitherWay('$2', 't.owner_id')}) AS blocked,
    ($2 <> '' AND EXISTS (SELECT 1 FROM licenses l WHERE l.holder_id = $2 AND l.track_id = t.id
                            AND l.status = 'active')) AS licensed,
    ${RENDITION_JSON('clean')} AS clean,
    ${RENDITION_JSON('tagged')} AS tagged,
    (SELECT v.sha256 FROM voice_tags v WHERE v.user_id = t.owner_id) AS "voiceTag"
  FROM tracks t WHERE t.id = $1`;

const withNumbers = (f: StreamFacts): StreamFacts => ({
  ...f,
  clean: f.clean && { ...f.clean, bytes: Number(f.clean.bytes) },
  tagged: f.tagged && { ...f.tagged, bytes: Number(f.tagged.bytes) },
});

/** What the processing step and the re-render job write. */
export interface NewRendition {
  kind: 'clean' | 'tagged';
  sha256: string;
  bytes: number;
  contentType: string;
  durationMs: number;
  voiceTag: string | null;
}

@Injectable()
export class ListeningRepository {
  constructor(
    private readonly db: Database,
    private readonly keeper: StorageKeeper,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async streamFacts(trackId: string, callerId: string | undefined): Promise<StreamFacts | null> {
    const [row] = await this.db.query<StreamFacts>(
      STREAM_FACTS_SQL,
      [trackId, callerId ?? ''],
      'listening_facts',
    );
    return row ? withNumbers(row) : null;
  }

  /** The rendition a media link names, if it is still one of the track's (else null: replaced). */
  async rendition(trackId: string, sha256: string): Promise<RenditionRef | null> {
    const [row] = await this.db.query<RenditionRef>(
      `SELECT sha256, size_bytes::float8 AS bytes, content_type AS "contentType", voice_tag_sha256 AS "voiceTag"
       FROM track_renditions WHERE track_id = $1 AND sha256 = $2 LIMIT 1`,
      [trackId, sha256],
      'listening_rendition',
    );
    return row ?? null;
  }

  /** Whether a media link's caller may still use it: the account exists and is not suspended. */
  async callerActive(userId: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM users WHERE id = $1 AND status = 'active'`,
      [userId],
      'listening_caller',
    );
    return rows.length > 0;
  }

  async peaks(trackId: string): Promise<StoredPeaks | null> {
    const [row] = await this.db.query<StoredPeaks>(
      `SELECT sample_rate AS "sampleRate", samples_per_pixel AS "samplesPerPixel", data, created_at AS "createdAt"
       FROM track_peaks WHERE track_id = $1`,
      [trackId],
      'listening_peaks',
    );
    return row ?? null;
  }

  // ---- writes of the processing step and the re-render job ------------------------------------

  /**
   * Replaces the track's rendition of `kind` (the object it replaces is collected once this
   * commits, if nothing else references it).
   */
  /**
   * The track's row lock, taken first by every transaction that writes its renditions (its
   * processing, a re-render, a tag's removal) — before any object lock, as a deletion takes them:
   * they take turns, so the one that replaces an object always reads it and has it collected.
   */
  async lockTrack(tx: Tx, trackId: string): Promise<void> {
    await tx.query('SELECT 1 FROM tracks WHERE id = $1 FOR UPDATE', [trackId]);
  }

  /** Under lockTrack. */
  async putRendition(tx: Tx, trackId: string, r: NewRendition, at: Date): Promise<void> {
    const [old] = await tx.query<{ sha256: string }>(
      `SELECT sha256 FROM track_renditions WHERE track_id = $1 AND kind = $2 FOR UPDATE`,
      [trackId, r.kind],
    );
    await tx.execute(
      `INSERT INTO track_renditions (track_id, kind, sha256, size_bytes, content_type, duration_ms, voice_tag_sha256, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (track_id, kind) DO UPDATE SET sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes,
         content_type = EXCLUDED.content_type, duration_ms = EXCLUDED.duration_ms,
         voice_tag_sha256 = EXCLUDED.voice_tag_sha256, created_at = EXCLUDED.created_at`,
      [trackId, r.kind, r.sha256, r.bytes, r.contentType, r.durationMs, r.voiceTag, at],
    );
    if (old && old.sha256 !== r.sha256) await this.collectIfUnused(tx, old.sha256);
  }

  /** Removes the track's tagged rendition (its producer removed the tag). */
  async dropTagged(tx: Tx, trackId: string): Promise<void> {
    await this.lockTrack(tx, trackId);
    const [old] = await tx.query<{ sha256: string }>(
      `DELETE FROM track_renditions WHERE track_id = $1 AND kind = 'tagged' RETURNING sha256`,
      [trackId],
    );
    if (old) await this.collectIfUnused(tx, old.sha256);
  }

  async putPeaks(tx: Tx, trackId: string, p: Omit<StoredPeaks, 'createdAt'>, at: Date): Promise<void> {
    await tx.execute(
      `INSERT INTO track_peaks (track_id, sample_rate, samples_per_pixel, data, created_at)
       VALUES ($1, $2, $3, $4::smallint[], $5)
       ON CONFLICT (track_id) DO UPDATE SET sample_rate = EXCLUDED.sample_rate,
         samples_per_pixel = EXCLUDED.samples_per_pixel, data = EXCLUDED.data, created_at = EXCLUDED.created_at`,
      [trackId, p.sampleRate, p.samplesPerPixel, p.data, at],
    );
  }

  async putLoudness(tx: Tx, trackId: string, lufs: number | null, truePeak: number | null): Promise<void> {
    await tx.execute(`UPDATE tracks SET loudness_lufs = $2, true_peak_dbtp = $3 WHERE id = $1`, [
      trackId,
      lufs,
      truePeak,
    ]);
  }

  /** The object goes once this transaction commits, unless a row still references it. */
  private async collectIfUnused(tx: Tx, sha256: string): Promise<void> {
    await lockObject(tx, sha256);
    await this.keeper.scheduleCollect(tx, sha256);
  }

  // ---- voice tags ---------------------------------------------------------------------------

  async voiceTag(
    userId: string,
    db: Db = this.db,
  ): Promise<{ sha256: string; durationMs: number; updatedAt: Date } | null> {
    const [row] = await db.query<{ sha256: string; durationMs: number; updatedAt: Date }>(
      `SELECT sha256, duration_ms AS "durationMs", updated_at AS "updatedAt" FROM voice_tags WHERE user_id = $1`,
      [userId],
    );
    return row ?? null;
  }

  /** Sets the user's tag (locking the row); returns the object it replaced, if any. */
  async setVoiceTag(
    tx: Tx,
    userId: string,
    sha256: string,
    durationMs: number,
    at: Date,
  ): Promise<string | null> {
    const [old] = await tx.query<{ sha256: string }>(
      `SELECT sha256 FROM voice_tags WHERE user_id = $1 FOR UPDATE`,
      [userId],
    );
    await tx.execute(
      `INSERT INTO voice_tags (user_id, sha256, duration_ms, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id) DO UPDATE SET sha256 = EXCLUDED.sha256, duration_ms = EXCLUDED.duration_ms,
         version = voice_tags.version + 1, updated_at = EXCLUDED.updated_at`,
      [userId, sha256, durationMs, at],
    );
    if (old && old.sha256 !== sha256) await this.collectIfUnused(tx, old.sha256);
    return old?.sha256 ?? null;
  }

  /** Removes the user's tag; false when there was none. */
  async deleteVoiceTag(tx: Tx, userId: string): Promise<boolean> {
    const [old] = await tx.query<{ sha256: string }>(
      `DELETE FROM voice_tags WHERE user_id = $1 RETURNING sha256`,
      [userId],
    );
    if (old) await this.collectIfUnused(tx, old.sha256);
    return !!old;
  }

  /** The producer's uploaded tracks that have a clean rendition (the ones a tag change re-renders). */
  async renderedTracksOf(ownerId: string, db: Db = this.db): Promise<string[]> {
    const rows = await db.query<{ id: string }>(
      `SELECT t.id FROM tracks t WHERE t.owner_id = $1
         AND EXISTS (SELECT 1 FROM track_renditions r WHERE r.track_id = t.id AND r.kind = 'clean')`,
      [ownerId],
    );
    return rows.map((r) => r.id);
  }

  /** What a re-render of the tagged rendition reads: the original, its owner's current tag. */
  async renderSource(
    trackId: string,
  ): Promise<{ audio: string; ownerId: string; voiceTag: string | null } | null> {
    const [row] = await this.db.query<{ audio: string; ownerId: string; voiceTag: string | null }>(
      `SELECT t.audio_sha256 AS audio, t.owner_id AS "ownerId",
              (SELECT v.sha256 FROM voice_tags v WHERE v.user_id = t.owner_id) AS "voiceTag"
       FROM tracks t WHERE t.id = $1 AND t.audio_sha256 IS NOT NULL
         AND EXISTS (SELECT 1 FROM track_renditions r WHERE r.track_id = t.id AND r.kind = 'clean')`,
      [trackId],
    );
    return row ?? null;
  }

  /**
   * Uploads waiting for processing without any rendition, unchanged since `before`: those the
   * listening migration sent back to `pending` (an upload's own job runs long before that).
   */
  async unrendered(limit: number, before: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT t.id FROM tracks t WHERE t.audio_sha256 IS NOT NULL AND t.processing_status = 'pending'
         AND t.updated_at < $2
         AND NOT EXISTS (SELECT 1 FROM track_renditions r WHERE r.track_id = t.id)
       ORDER BY t.created_at LIMIT $1`,
      [limit, before],
    );
    return rows.map((r) => r.id);
  }

  // ---- plays ----------------------------------------------------------------------------------

  /**
   * Records a listen (the history keeps what was started) and counts it by the one play-count
   * rule (radio/play-counts.ts: ≥ 30 s or the whole track, once per listener and track per 10
   * minutes, never the owner's or a collaborator's) — one statement, so concurrent reports of one
   * listen count once. Returns whether it counted and the track's play count.
   */
  async recordPlay(p: {
    id: string;
    userId: string;
    trackId: string;
    source: string;
    playedSeconds: number;
    at: Date;
  }): Promise<{ counted: boolean; plays: number }> {
    const [row] = await this.db.query<{ counted: boolean; plays: string | null }>(
      `WITH ${countPlaySql({ user: '$2', track: '$3', heardSeconds: '$5::int', at: '$6' })},
       l AS (
         INSERT INTO listens (id, user_id, track_id, created_at, source, played_seconds, counted)
         VALUES ($1, $2, $3, $6, $4, $5, EXISTS (SELECT 1 FROM play_w))
       )
       SELECT EXISTS (SELECT 1 FROM play_w) AS counted,
              COALESCE((SELECT plays FROM play_c), (SELECT plays FROM track_play_counts WHERE track_id = $3), 0)::text AS plays`,
      [p.id, p.userId, p.trackId, p.source, p.playedSeconds, p.at],
      'listening_record_play',
    );
    return { counted: row.counted, plays: Number(row.plays ?? 0) };
  }
}
