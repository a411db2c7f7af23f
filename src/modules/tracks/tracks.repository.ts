import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { JobsService } from '../../platform/jobs/jobs.service';
import { pgErrorOf } from '../../platform/database/db-errors';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import { lockObject, StorageKeeper, type StagedObject } from '../../platform/storage/storage-keeper';
import { TRACK_VIEW_SQL, trackPageSql, type TrackPageFilter } from './track-view.sql';
import { TracksErrors } from './tracks.errors';

export const TRACK_INCLUDE = {
  artist: { select: { id: true, name: true, slug: true, verified: true } },
  audioFile: { select: { sizeBytes: true } },
  collaborators: { select: { userId: true, role: true, splitPercent: true }, orderBy: { createdAt: 'asc' } },
  _count: { select: { reposts: true } },
} satisfies Prisma.TrackInclude;
export type TrackRow = Prisma.TrackGetPayload<{ include: typeof TRACK_INCLUDE }>;

/**
 * What the reads and the access rule use of a track: a Prisma row with TRACK_INCLUDE is one, and
 * so is a row of the catalogue's read statements (track-view.sql.ts).
 */
export interface TrackView {
  id: string;
  ownerId: string;
  artist: { id: string; name: string; slug: string; verified: boolean } | null;
  title: string;
  bpm: number;
  genre: string;
  musicalKey: string | null;
  mood: string | null;
  tags: string[];
  source: 'upload' | 'external';
  externalUrl: string | null;
  format: string | null;
  durationMs: number | null;
  sampleRate: number | null;
  channels: number | null;
  audioFile: { sizeBytes: bigint | number | string } | null;
  processingStatus: 'pending' | 'processing' | 'ready' | 'failed' | null;
  processingError: string | null;
  loudnessLufs: number | null;
  truePeakDbtp: number | null;
  collaborators: { userId: string; role: string; splitPercent: Prisma.Decimal | number }[];
  _count: { reposts: number };
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface ViewRow {
  id: string;
  owner_id: string;
  title: string;
  bpm: number;
  genre: string;
  musical_key: string | null;
  mood: string | null;
  tags: string[];
  source: 'upload' | 'external';
  external_url: string | null;
  format: string | null;
  duration_ms: number | null;
  sample_rate: number | null;
  channels: number | null;
  processing_status: TrackView['processingStatus'];
  processing_error: string | null;
  loudness_lufs: number | null;
  true_peak_dbtp: number | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  artist_id: string | null;
  artist_name: string;
  artist_slug: string;
  artist_verified: boolean;
  size_bytes: string | null;
  repost_count: number;
  collaborators?: { user_id: string; role: string; split_percent: number }[];
}

const toView = (r: ViewRow): TrackView => ({
  id: r.id,
  ownerId: r.owner_id,
  artist: r.artist_id
    ? { id: r.artist_id, name: r.artist_name, slug: r.artist_slug, verified: r.artist_verified }
    : null,
  title: r.title,
  bpm: r.bpm,
  genre: r.genre,
  musicalKey: r.musical_key,
  mood: r.mood,
  tags: r.tags,
  source: r.source,
  externalUrl: r.external_url,
  format: r.format,
  durationMs: r.duration_ms,
  sampleRate: r.sample_rate,
  channels: r.channels,
  audioFile: r.size_bytes === null ? null : { sizeBytes: r.size_bytes },
  processingStatus: r.processing_status,
  processingError: r.processing_error,
  loudnessLufs: r.loudness_lufs,
  truePeakDbtp: r.true_peak_dbtp,
  collaborators: (r.collaborators ?? []).map((c) => ({
    userId: c.user_id,
    role: c.role,
    splitPercent: c.split_percent,
  })),
  _count: { reposts: r.repost_count },
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * A track with TRACK_INCLUDE in one statement (`$1` the id): its columns camel-cased as Prisma
 * returned them, its primary artist, its file's size, its credits in the order they were made and
 * its repost count (`toTrackRow` gives them Prisma's shape).
 */
const TRACK_ROW_SQL = `
  SELECT t.id, t.owner_id AS "ownerId", t.artist_id AS "artistId", t.title, t.bpm, t.genre,
    t.musical_key AS "musicalKey", t.mood, t.tags, t.source, t.external_url AS "externalUrl",
    t.audio_sha256 AS "audioSha256", t.format, t.duration_ms AS "durationMs", t.sample_rate AS "sampleRate",
    t.channels, t.processing_status AS "processingStatus", t.processing_error AS "processingError",
    t.processing_attempts AS "processingAttempts", t.offers_version AS "offersVersion", t.version,
    t.loudness_lufs AS "loudnessLufs", t.true_peak_dbtp AS "truePeakDbtp",
    t.created_at AS "createdAt", t.updated_at AS "updatedAt",
    CASE WHEN a.id IS NULL THEN NULL
         ELSE json_build_object('id', a.id, 'name', a.name, 'slug', a.slug, 'verified', a.verified) END AS artist,
    f.size_bytes::text AS "sizeBytes",
    COALESCE((SELECT json_agg(json_build_object('userId', c.user_id, 'role', c.role,
                                                'splitPercent', c.split_percent::text) ORDER BY c.created_at)
              FROM track_collaborators c WHERE c.track_id = t.id), '[]'::json) AS collaborators,
    (SELECT count(*)::int FROM reposts r WHERE r.track_id = t.id) AS "repostCount"
  FROM tracks t
  LEFT JOIN artists a ON a.id = t.artist_id
  LEFT JOIN audio_files f ON f.sha256 = t.audio_sha256
  WHERE t.id = $1`;

/** TRACK_ROW_SQL's row: int8 and numeric as text (pg), the counts flat. */
type RawTrackRow = Omit<TrackRow, 'audioFile' | 'collaborators' | '_count'> & {
  sizeBytes: string | null;
  collaborators: { userId: string; role: string; splitPercent: string }[];
  repostCount: number;
};

const toTrackRow = ({ sizeBytes, collaborators, repostCount, ...t }: RawTrackRow): TrackRow => ({
  ...t,
  audioFile: sizeBytes === null ? null : { sizeBytes: BigInt(sizeBytes) },
  collaborators: collaborators.map((c) => ({ ...c, splitPercent: new Prisma.Decimal(c.splitPercent) })),
  _count: { reposts: repostCount },
});

export const PROCESS_TRACK_JOB = 'track.process';

export interface TrackMetadata {
  title: string;
  bpm: number;
  genre: string;
  key?: string;
  mood?: string;
  tags?: string[];
}

export interface UploadedAudio {
  staged: StagedObject;
  size: number;
  format: string;
  durationMs: number;
  sampleRate: number;
  channels: number;
}

@Injectable()
export class TracksRepository {
  private readonly deletionHooks: ((tx: Tx, trackId: string) => Promise<string[]>)[] = [];
  private readonly uncreditHooks: ((tx: Tx, trackId: string, userIds: string[]) => Promise<void>)[] = [];

  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
    private readonly keeper: StorageKeeper,
    private readonly jobs: JobsService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * One transaction: the file's row, the track, the owner's credit, the processing job, and the
   * upload's pin on its object removed (the object was written before, outside any transaction).
   * Either all of it exists afterwards or none (the caller then abandons the staged object).
   */
  async createUpload(
    ownerId: string,
    artistId: string | null,
    meta: TrackMetadata,
    audio: UploadedAudio,
    at: Date,
  ): Promise<TrackRow> {
    const sha256 = audio.staged.sha256;
    return this.db.transaction(async (tx) => {
      await this.keeper.commit(tx, audio.staged);
      await tx.execute(
        `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sha256) DO NOTHING`,
        [sha256, audio.size, audio.format, at],
      );
      const id = newId('trk');
      const m = this.metadata(meta);
      await tx.execute(
        `INSERT INTO tracks (id, owner_id, artist_id, title, bpm, genre, musical_key, mood, tags, source, audio_sha256,
                             format, duration_ms, sample_rate, channels, processing_status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], 'upload', $10, $11, $12, $13, $14, 'pending', $15, $15)`,
        [
          id,
          ownerId,
          artistId,
          m.title,
          m.bpm,
          m.genre,
          m.musicalKey,
          m.mood,
          m.tags,
          sha256,
          audio.format,
          audio.durationMs,
          audio.sampleRate,
          audio.channels,
          at,
        ],
      );
      await tx.execute(
        `INSERT INTO track_collaborators (track_id, user_id, role, split_percent, created_at, credit_status, responded_at)
         VALUES ($1, $2, 'owner', 100, $3, 'accepted', $3)`,
        [id, ownerId, at],
      );
      const track = (await this.findById(id, tx))!;
      await this.jobs.enqueue(PROCESS_TRACK_JOB, { trackId: track.id }, { tx });
      return track;
    });
  }

  createExternal(
    ownerId: string,
    artistId: string | null,
    meta: TrackMetadata,
    url: string,
    at: Date,
  ): Promise<TrackRow> {
    return this.prisma.track.create({
      data: {
        id: newId('trk'),
        ownerId,
        artistId,
        ...this.metadata(meta),
        source: 'external',
        externalUrl: url,
        createdAt: at,
        updatedAt: at,
        collaborators: {
          create: {
            userId: ownerId,
            role: 'owner',
            splitPercent: 100,
            createdAt: at,
            creditStatus: 'accepted',
            respondedAt: at,
          },
        },
      },
      include: TRACK_INCLUDE,
    });
  }

  private metadata(meta: TrackMetadata) {
    return {
      title: meta.title,
      bpm: meta.bpm,
      genre: meta.genre.toLowerCase(),
      musicalKey: meta.key ?? null,
      mood: meta.mood ?? null,
      tags: meta.tags ?? [],
    };
  }

  async findById(id: string, tx?: Tx): Promise<TrackRow | null> {
    const [row] = await (tx ?? this.db).query<RawTrackRow>(TRACK_ROW_SQL, [id], 'track_row');
    return row ? toTrackRow(row) : null;
  }

  /** GET /tracks/:id: the track with its credits, one prepared statement (track-view.sql.ts). */
  async view(id: string): Promise<TrackView | null> {
    const [row] = await this.db.query<ViewRow>(TRACK_VIEW_SQL, [id], 'track_view');
    return row ? toView(row) : null;
  }

  /**
   * GET /tracks: a page of the public catalogue, newest first (track-view.sql.ts), without credits
   * (the list does not show them, and the public view does not depend on them).
   */
  async viewPage(filter: TrackPageFilter, take: number): Promise<TrackView[]> {
    const { name, text, values } = trackPageSql(filter, take);
    return (await this.db.query<ViewRow>(text, values, name)).map(toView);
  }

  findByIds(ids: string[]): Promise<TrackRow[]> {
    return this.prisma.track.findMany({ where: { id: { in: ids } }, include: TRACK_INCLUDE });
  }

  /** Applies the change if the version is the expected one (when given); false otherwise. */
  async update(
    id: string,
    meta: Partial<TrackMetadata>,
    expectedVersion: number | undefined,
    at: Date,
  ): Promise<boolean> {
    const { count } = await this.prisma.track.updateMany({
      where: { id, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
      data: {
        ...(meta.title !== undefined ? { title: meta.title } : {}),
        ...(meta.bpm !== undefined ? { bpm: meta.bpm } : {}),
        ...(meta.genre !== undefined ? { genre: meta.genre.toLowerCase() } : {}),
        ...(meta.key !== undefined ? { musicalKey: meta.key } : {}),
        ...(meta.mood !== undefined ? { mood: meta.mood } : {}),
        ...(meta.tags !== undefined ? { tags: meta.tags } : {}),
        version: { increment: 1 },
        updatedAt: at,
      },
    });
    return count === 1;
  }

  /**
   * Deletes the track; its file goes too when no other track uses the same bytes: the transaction
   * that drops the last reference queues the object's collection (under the file lock), and the
   * object is removed after the commit (StorageKeeper), never by a network call inside it.
   *
   * A track that was sold keeps existing: any license (active or revoked — its certificate stays
   * verifiable), any purchase that was paid, and any checkout still open at `now` (its payment may
   * yet succeed) answer track_has_licenses. Checkouts that can no longer be paid (expired, or
   * failed and past their window, never paid) go with the track. Under the track's sales lock,
   * so a license being issued and the deletion take turns.
   */
  /**
   * Another module's objects that a track's deletion leaves unreferenced (the listening module's
   * renditions): `hook` names them inside the deleting transaction, before the row goes; they are
   * collected like the original file.
   */
  addDeletionHook(hook: (tx: Tx, trackId: string) => Promise<string[]>): void {
    this.deletionHooks.push(hook);
  }

  /**
   * Another module's consequence of credits removed from a track (earnings: what the sales so far
   * owe them stays theirs), run inside the transaction that removes them.
   */
  addUncreditHook(hook: (tx: Tx, trackId: string, userIds: string[]) => Promise<void>): void {
    this.uncreditHooks.push(hook);
  }

  async delete(id: string, now: Date): Promise<boolean> {
    const orphans: string[] = [];
    let deleted: boolean;
    try {
      deleted = await this.db.transaction(async (tx) => {
        const [track] = await tx.query<{ audioSha256: string | null }>(
          'SELECT audio_sha256 AS "audioSha256" FROM tracks WHERE id = $1',
          [id],
        );
        if (!track) return false;
        await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`sales:${id}`]);
        const [sales] = await tx.query<{ licenses: boolean; open: boolean }>(
          `
          SELECT EXISTS (SELECT 1 FROM licenses WHERE track_id = $1) AS licenses,
                 EXISTS (SELECT 1 FROM purchases WHERE track_id = $1
                          AND (paid_at IS NOT NULL OR status NOT IN ('requires_payment', 'expired')
                               OR (status = 'requires_payment' AND expires_at > $2))) AS open`,
          [id, now],
        );
        if (sales.licenses || sales.open) {
          throw new AppError(TracksErrors.trackHasLicenses, {
            context: { licensed: sales.licenses, checkout_open: !sales.licenses && sales.open },
          });
        }
        await tx.execute('DELETE FROM purchases WHERE track_id = $1', [id]);
        if (track.audioSha256) await lockObject(tx, track.audioSha256);
        const others: string[] = [];
        for (const hook of this.deletionHooks) others.push(...(await hook(tx, id)));
        // deleted meanwhile by a concurrent deletion (it held the sales lock first)
        if (!(await tx.execute('DELETE FROM tracks WHERE id = $1', [id]))) return false;
        for (const sha of new Set(others)) {
          await lockObject(tx, sha);
          await this.keeper.scheduleCollect(tx, sha);
          orphans.push(sha);
        }
        const sha = track.audioSha256;
        if (sha) {
          const orphaned = await tx.execute(
            `
            DELETE FROM audio_files f WHERE f.sha256 = $1
              AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.audio_sha256 = f.sha256)`,
            [sha],
          );
          if (orphaned) {
            await this.keeper.scheduleCollect(tx, sha);
            orphans.push(sha);
          }
        }
        return true;
      });
    } catch (err) {
      // a checkout or license that appeared after the check (its row holds the track)
      const pg = pgErrorOf(err);
      if (pg?.code === '23503' && /^(purchases|licenses)_track_id_fkey/.test(pg.constraint ?? '')) {
        throw new AppError(TracksErrors.trackHasLicenses);
      }
      throw err;
    }
    for (const sha of orphans) await this.keeper.collectNow(sha);
    return deleted;
  }

  /** Replaces the credits, guarded by the track's version (If-Match) when given. */
  async setCollaborators(
    trackId: string,
    list: { userId: string; role: string; splitPercent: number }[],
    expectedVersion: number | undefined,
    at: Date,
  ): Promise<'ok' | 'stale'> {
    return this.db.transaction(async (tx) => {
      const count = await tx.execute(
        `UPDATE tracks SET version = version + 1, updated_at = $3
         WHERE id = $1 AND ($2::int IS NULL OR version = $2)`,
        [trackId, expectedVersion ?? null, at],
      );
      if (!count) return 'stale';
      // a credit that stays keeps its id and its acceptance (only the money waits for it); a new
      // one is pending, the owner's accepted. Rows are locked by the upsert, so a sale reading the
      // credits (FOR SHARE) sees either the old set or the new one.
      const removed = await tx.query<{ userId: string }>(
        'DELETE FROM track_collaborators WHERE track_id = $1 AND user_id <> ALL($2::text[]) RETURNING user_id AS "userId"',
        [trackId, list.map((c) => c.userId)],
      );
      if (removed.length) {
        for (const hook of this.uncreditHooks)
          await hook(
            tx,
            trackId,
            removed.map((r) => r.userId),
          );
      }
      await tx.execute(
        `INSERT INTO track_collaborators (track_id, user_id, role, split_percent, created_at, credit_id, credit_status, responded_at)
         SELECT $1, c.user_id, c.role, c.split_percent, $5::timestamptz + (c.n - 1) * interval '1 microsecond', c.credit_id,
                (CASE WHEN c.role = 'owner' THEN 'accepted' ELSE 'pending' END)::credit_status,
                CASE WHEN c.role = 'owner' THEN $5::timestamptz END
         FROM unnest($2::text[], $3::text[], $4::numeric[], $6::text[]) WITH ORDINALITY AS c(user_id, role, split_percent, credit_id, n)
         ORDER BY c.n
         ON CONFLICT (track_id, user_id) DO UPDATE SET role = EXCLUDED.role, split_percent = EXCLUDED.split_percent`,
        [
          trackId,
          list.map((c) => c.userId),
          list.map((c) => c.role),
          list.map((c) => c.splitPercent),
          at,
          list.map(() => newId('crd')),
        ],
      );
      return 'ok';
    });
  }

  async existingUsers(ids: string[]): Promise<Set<string>> {
    const rows = await this.prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }

  // ---- processing -----------------------------------------------------------------------------

  /**
   * Takes the track into processing (also again after a crash left it "processing"); null when
   * the track is gone or already finished.
   */
  async claimForProcessing(trackId: string, at: Date): Promise<{ sha256: string; ownerId: string } | null> {
    const rows = await this.db.query<{ sha256: string; ownerId: string }>(
      `UPDATE tracks SET processing_status = 'processing', processing_attempts = processing_attempts + 1, updated_at = $2
       WHERE id = $1 AND processing_status IN ('pending', 'processing')
       RETURNING audio_sha256 AS sha256, owner_id AS "ownerId"`,
      [trackId, at],
    );
    return rows[0] ?? null;
  }

  async markReady(tx: Tx, trackId: string, at: Date): Promise<void> {
    await tx.execute(
      `UPDATE tracks SET processing_status = $3::processing_status, processing_error = NULL, updated_at = $2
       WHERE id = $1 AND processing_status = 'processing'`,
      [trackId, at, 'ready'],
    );
  }

  async markFailed(trackId: string, reason: string, at: Date): Promise<void> {
    await this.prisma.track.updateMany({
      where: { id: trackId, processingStatus: { in: ['pending', 'processing'] } },
      data: { processingStatus: 'failed', processingError: reason.slice(0, 500), updatedAt: at },
    });
  }
}
