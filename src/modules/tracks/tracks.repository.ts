import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { JobsService } from '../../platform/jobs/jobs.service';
import { pgErrorOf } from '../../platform/prisma/db-errors';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';
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
  constructor(
    private readonly prisma: PrismaService,
    private readonly keeper: StorageKeeper,
    private readonly jobs: JobsService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
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
    return this.prisma.$transaction(async (tx) => {
      await this.keeper.commit(tx, audio.staged);
      await tx.audioFile.upsert({
        where: { sha256 },
        create: { sha256, sizeBytes: audio.size, format: audio.format, createdAt: at },
        update: {},
      });
      const track = await tx.track.create({
        data: {
          id: newId('trk'),
          ownerId,
          artistId,
          ...this.metadata(meta),
          source: 'upload',
          audioSha256: sha256,
          format: audio.format,
          durationMs: audio.durationMs,
          sampleRate: audio.sampleRate,
          channels: audio.channels,
          processingStatus: 'pending',
          createdAt: at,
          updatedAt: at,
          collaborators: { create: { userId: ownerId, role: 'owner', splitPercent: 100, createdAt: at } },
        },
        include: TRACK_INCLUDE,
      });
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
        collaborators: { create: { userId: ownerId, role: 'owner', splitPercent: 100, createdAt: at } },
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

  findById(id: string, tx?: Tx): Promise<TrackRow | null> {
    return (tx ?? this.prisma).track.findUnique({ where: { id }, include: TRACK_INCLUDE });
  }

  /** GET /tracks/:id: the track with its credits, one prepared statement (track-view.sql.ts). */
  async view(id: string): Promise<TrackView | null> {
    const [row] = await this.prisma.sql<ViewRow>(TRACK_VIEW_SQL, [id], 'track_view');
    return row ? toView(row) : null;
  }

  /**
   * GET /tracks: a page of the public catalogue, newest first (track-view.sql.ts), without credits
   * (the list does not show them, and the public view does not depend on them).
   */
  async viewPage(filter: TrackPageFilter, take: number): Promise<TrackView[]> {
    const { name, text, values } = trackPageSql(filter, take);
    return (await this.prisma.sql<ViewRow>(text, values, name)).map(toView);
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
  async delete(id: string, now: Date): Promise<boolean> {
    let orphan: string | undefined;
    let deleted: boolean;
    try {
      deleted = await this.prisma.$transaction(async (tx) => {
        const track = await tx.track.findUnique({ where: { id }, select: { audioSha256: true } });
        if (!track) return false;
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sales:${id}`}, 0))`;
        const [sales] = await tx.$queryRaw<{ licenses: boolean; open: boolean }[]>`
          SELECT EXISTS (SELECT 1 FROM licenses WHERE track_id = ${id}) AS licenses,
                 EXISTS (SELECT 1 FROM purchases WHERE track_id = ${id}
                          AND (paid_at IS NOT NULL OR status NOT IN ('requires_payment', 'expired')
                               OR (status = 'requires_payment' AND expires_at > ${now}))) AS open`;
        if (sales.licenses || sales.open) {
          throw new AppError(TracksErrors.trackHasLicenses, {
            context: { licensed: sales.licenses, checkout_open: !sales.licenses && sales.open },
          });
        }
        await tx.purchase.deleteMany({ where: { trackId: id } });
        if (track.audioSha256) await lockObject(tx, track.audioSha256);
        await tx.track.delete({ where: { id } });
        const sha = track.audioSha256;
        if (sha) {
          const orphaned = await tx.$executeRaw`
            DELETE FROM audio_files f WHERE f.sha256 = ${sha}
              AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.audio_sha256 = f.sha256)`;
          if (orphaned) {
            await this.keeper.scheduleCollect(tx, sha);
            orphan = sha;
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
    if (orphan) await this.keeper.collectNow(orphan);
    return deleted;
  }

  /** Replaces the credits, guarded by the track's version (If-Match) when given. */
  async setCollaborators(
    trackId: string,
    list: { userId: string; role: string; splitPercent: number }[],
    expectedVersion: number | undefined,
    at: Date,
  ): Promise<'ok' | 'stale'> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.track.updateMany({
        where: { id: trackId, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
        data: { version: { increment: 1 }, updatedAt: at },
      });
      if (!count) return 'stale';
      await tx.trackCollaborator.deleteMany({ where: { trackId } });
      await tx.trackCollaborator.createMany({
        data: list.map((c) => ({
          trackId,
          userId: c.userId,
          role: c.role,
          splitPercent: c.splitPercent,
          createdAt: at,
        })),
      });
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
  async claimForProcessing(trackId: string, at: Date): Promise<{ sha256: string } | null> {
    const rows = await this.prisma.sql<{ audio_sha256: string }>(
      `UPDATE tracks SET processing_status = 'processing', processing_attempts = processing_attempts + 1, updated_at = $2
       WHERE id = $1 AND processing_status IN ('pending', 'processing') RETURNING audio_sha256`,
      [trackId, at],
    );
    return rows[0] ? { sha256: rows[0].audio_sha256 } : null;
  }

  async markReady(tx: Tx, trackId: string, at: Date): Promise<void> {
    await tx.track.updateMany({
      where: { id: trackId, processingStatus: 'processing' },
      data: { processingStatus: 'ready', processingError: null, updatedAt: at },
    });
  }

  async markFailed(trackId: string, reason: string, at: Date): Promise<void> {
    await this.prisma.track.updateMany({
      where: { id: trackId, processingStatus: { in: ['pending', 'processing'] } },
      data: { processingStatus: 'failed', processingError: reason.slice(0, 500), updatedAt: at },
    });
  }
}
