import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { mkdir, rm } from 'node:fs/promises';
import { AppConfig } from '../../config/config';
import { addSeconds, Clock } from '../../platform/clock/clock';
import type { Tx } from '../../platform/database/database';
import { JobsService } from '../../platform/jobs/jobs.service';
import { StorageKeeper, type StagedObject } from '../../platform/storage/storage-keeper';
import { StorageService } from '../../platform/storage/storage.service';
import { TrackProcessing } from '../tracks/track-processing';
import { PROCESS_TRACK_JOB, TracksRepository } from '../tracks/tracks.repository';
import { ListeningRepository, type NewRendition } from './listening.repository';
import type { Peaks } from './media/peaks';
import { renderTrack, type Rendition } from './media/render';

/** Re-makes one track's tagged rendition after its producer's voice tag changed. */
export const RENDER_TAGGED_JOB = 'listening.render-tagged';
/** Finds uploads made before listening existed and queues their processing. */
export const BACKFILL_JOB = 'listening.backfill';
const BACKFILL_BATCH = 100;

/**
 * A re-render job's key: one queued job per track and tag (a change back and forth queues each;
 * a job running while the tag changes again is followed by the new one, never merged into it).
 */
export const taggedJobKey = (trackId: string, tag: string | null): string =>
  `tagged:${trackId}:${tag ?? 'none'}`;
/** an upload younger than this has its own processing job queued: the backfill leaves it alone */
const BACKFILL_MIN_AGE_SECONDS = 600;

/** What one render produced, staged in storage, until it is stored (or discarded). */
interface Rendered {
  ownerId: string;
  /** the voice tag the tagged rendition was made with (null: none was) */
  tag: string | null;
  renditions: (NewRendition & { staged: StagedObject })[];
  peaks: Peaks;
  loudness: { integratedLufs: number | null; truePeakDbtp: number | null };
}

/**
 * The stream renditions, peaks and loudness of every upload: a step of the tracks module's
 * processing job (after the fingerprint; the track becomes ready, hence playable, only with them),
 * the re-render of tagged renditions when a producer's voice tag changes, and the backfill of
 * uploads made before this existed. Objects are content-addressed in the audio storage, staged
 * and collected by the StorageKeeper like the originals; a deleted track's go with it.
 */
@Injectable()
export class Renditions implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(Renditions.name);

  constructor(
    private readonly repo: ListeningRepository,
    private readonly tracks: TracksRepository,
    private readonly processing: TrackProcessing,
    private readonly storage: StorageService,
    private readonly keeper: StorageKeeper,
    private readonly jobs: JobsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.keeper.addReferences('track_renditions');
    this.keeper.addReferences('voice_tags');
    this.processing.addStep<Rendered>({
      name: 'stream renditions',
      run: (track) => this.render(track.path, track.ownerId, 'both'),
      store: (tx, trackId, r) => this.store(tx, trackId, r),
      discard: (r) => this.discard(r),
    });
    // a deleted track's renditions are collected with its original
    this.tracks.addDeletionHook(async (tx, trackId) =>
      (
        await tx.query<{ sha256: string }>('SELECT sha256 FROM track_renditions WHERE track_id = $1', [
          trackId,
        ])
      ).map((r) => r.sha256),
    );
    this.jobs.register<{ trackId: string }>({
      name: RENDER_TAGGED_JOB,
      handler: (data) => this.renderTagged(data.trackId),
      retryLimit: 5,
      retryDelay: 10,
      retryBackoff: true,
      expireInSeconds: this.config.limits.processingTimeoutSeconds,
    });
    this.jobs.register<object>({
      name: BACKFILL_JOB,
      handler: () => this.backfill(),
      retryDelay: 60,
    });
  }

  /** Every instance asks; the singleton key leaves one queued backfill at a time. */
  async onApplicationBootstrap(): Promise<void> {
    await this.jobs
      .enqueue(BACKFILL_JOB, {}, { singletonKey: BACKFILL_JOB })
      .catch((err: Error) => this.logger.warn(`backfill not queued: ${err.message}`));
  }

  /** Queues the processing of a batch of unrendered uploads (one job per track), then itself again. */
  async backfill(): Promise<void> {
    const before = addSeconds(this.clock.now(), -BACKFILL_MIN_AGE_SECONDS);
    const ids = await this.repo.unrendered(BACKFILL_BATCH, before);
    for (const trackId of ids) {
      await this.jobs.enqueue(PROCESS_TRACK_JOB, { trackId }, { singletonKey: `backfill:${trackId}` });
    }
    if (ids.length === BACKFILL_BATCH) {
      await this.jobs.enqueue(BACKFILL_JOB, {}, { singletonKey: BACKFILL_JOB, startAfterSeconds: 60 });
    }
    if (ids.length) this.logger.log(`backfill: queued the processing of ${ids.length} uploads`);
  }

  /**
   * One ffmpeg pass over the original (media/render.ts): the clean rendition, the tagged one when
   * the producer has a voice tag, peaks and loudness; the renditions are staged in storage.
   */
  private async render(path: string, ownerId: string, which: 'both' | 'tagged'): Promise<Rendered> {
    const tag = await this.repo.voiceTag(ownerId);
    if (which === 'tagged' && !tag) throw new Error('no voice tag to render with');
    const dir = this.storage.spoolPath();
    await mkdir(dir, { recursive: true });
    try {
      const run = (tagPath?: string) =>
        renderTrack(path, {
          outDir: dir,
          voiceTag: tagPath,
          tagIntervalSeconds: this.config.limits.voiceTagIntervalSeconds,
        });
      const result = tag
        ? await this.storage.withLocalFile(tag.sha256, (tagPath) => run(tagPath))
        : await run();
      const made: [Rendition, NewRendition['kind']][] = [];
      if (which === 'both') made.push([result.clean, 'clean']);
      if (result.tagged) made.push([result.tagged, 'tagged']);
      const renditions: Rendered['renditions'] = [];
      try {
        for (const [r, kind] of made) {
          const staged = await this.keeper.stage({ tempPath: r.path, sha256: r.sha256, size: r.bytes });
          renditions.push({
            kind,
            sha256: r.sha256,
            bytes: r.bytes,
            contentType: r.contentType,
            durationMs: r.durationMs,
            voiceTag: kind === 'tagged' ? (tag?.sha256 ?? null) : null,
            staged,
          });
        }
      } catch (err) {
        await this.discard({
          ownerId,
          tag: null,
          renditions,
          peaks: result.peaks,
          loudness: result.loudness,
        });
        throw err;
      }
      return {
        ownerId,
        tag: tag?.sha256 ?? null,
        renditions,
        peaks: result.peaks,
        loudness: result.loudness,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async store(tx: Tx, trackId: string, r: Rendered): Promise<void> {
    const at = this.clock.now();
    await this.repo.lockTrack(tx, trackId);
    for (const rendition of r.renditions) {
      await this.keeper.commit(tx, rendition.staged);
      await this.repo.putRendition(tx, trackId, rendition, at);
    }
    await this.repo.putPeaks(
      tx,
      trackId,
      { sampleRate: r.peaks.sample_rate, samplesPerPixel: r.peaks.samples_per_pixel, data: r.peaks.data },
      at,
    );
    await this.repo.putLoudness(tx, trackId, r.loudness.integratedLufs, r.loudness.truePeakDbtp);
    // the producer changed the tag while this rendered: the tag change queued no job for a track
    // without renditions, so this one does
    const current = await this.repo.voiceTag(r.ownerId, tx);
    if ((current?.sha256 ?? null) !== r.tag) {
      await this.jobs.enqueue(
        RENDER_TAGGED_JOB,
        { trackId },
        { tx, singletonKey: taggedJobKey(trackId, current?.sha256 ?? null) },
      );
    }
  }

  private async discard(r: Rendered): Promise<void> {
    for (const rendition of r.renditions) await this.keeper.abandon(rendition.staged);
  }

  /**
   * The tagged rendition of one track with its producer's tag as it is now (the job is queued on
   * every change; it is idempotent): without a tag the tagged rendition goes; with one, a new one
   * is made and stored only if the tag is still the one it was made with (else the newer job
   * stores its own).
   */
  async renderTagged(trackId: string): Promise<void> {
    const source = await this.repo.renderSource(trackId);
    if (!source) return; // deleted, or not rendered yet (its processing makes the tagged one too)
    if (!source.voiceTag) {
      await this.repo.transaction((tx) => this.repo.dropTagged(tx, trackId));
      return;
    }
    const rendered = await this.storage.withLocalFile(source.audio, (path) =>
      this.render(path, source.ownerId, 'tagged'),
    );
    const tagged = rendered.renditions.find((r) => r.kind === 'tagged');
    try {
      const stored = await this.repo.transaction(async (tx) => {
        await this.repo.lockTrack(tx, trackId);
        const current = await this.repo.voiceTag(source.ownerId, tx);
        if (!tagged || current?.sha256 !== tagged.voiceTag) return false;
        await this.keeper.commit(tx, tagged.staged);
        await this.repo.putRendition(tx, trackId, tagged, this.clock.now());
        return true;
      });
      if (!stored) await this.discard(rendered);
    } catch (err) {
      await this.discard(rendered);
      throw err;
    }
  }
}
