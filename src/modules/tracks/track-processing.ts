import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import { JobContext, JobsService } from '../../platform/jobs/jobs.service';
import { StorageService } from '../../platform/storage/storage.service';
import { AudioToolkit } from '../audio/audio-toolkit';
import { FingerprintService } from '../audio/fingerprint.service';
import type { Tx } from '../../platform/database/database';
import { PROCESS_TRACK_JOB, TracksRepository } from './tracks.repository';

const RETRIES = 3;

/**
 * A step another module adds to every upload's processing (the listening module: stream
 * renditions, peaks, loudness): `run` works on the local copy of the original after the
 * fingerprint, outside any transaction (it may stage objects in storage); `store` writes its
 * result in the transaction that marks the track ready; `discard` undoes `run` when the result is
 * not stored (a later step failed, the track is gone). A step that throws is retried with the job.
 */
export interface ProcessingStep<R = unknown> {
  name: string;
  run(track: { id: string; ownerId: string; path: string; durationMs: number }): Promise<R>;
  store(tx: Tx, trackId: string, result: R): Promise<void>;
  discard(result: R): Promise<void>;
}

/**
 * What a failed track's owner reads in `processing_error`: a stable, documented code, never the
 * raw cause (a decoder message or an exception can name files, paths or hosts). The cause is
 * logged with the track id.
 */
export const PROCESSING_ERRORS = {
  /** the container is recognised but its audio cannot be decoded: upload a sound file */
  corrupt_audio: 'corrupt_audio',
  /** the content is not WAV, FLAC or AIFF after all */
  unsupported_audio: 'unsupported_audio',
  /** our side failed on every attempt: retrying the upload later may work; support can see why */
  internal_error: 'internal_error',
} as const;

/**
 * The background job behind every upload: decode, fingerprint, index, then the steps other
 * modules add (stream renditions, peaks, loudness). pending → processing →
 * ready | failed. A file that cannot be decoded fails at once; anything else (a worker crash,
 * the database away) is retried by pg-boss, and a job whose process died mid-way is retried
 * when it expires (LIMIT_PROCESSING_TIMEOUT_SECONDS) — claiming works from "processing" too.
 */
@Injectable()
export class TrackProcessing implements OnModuleInit {
  private readonly logger = new Logger(TrackProcessing.name);
  private readonly steps: ProcessingStep[] = [];

  constructor(
    private readonly jobs: JobsService,
    private readonly repo: TracksRepository,
    private readonly storage: StorageService,
    private readonly audio: AudioToolkit,
    private readonly fingerprints: FingerprintService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.register<{ trackId: string }>({
      name: PROCESS_TRACK_JOB,
      handler: (data, job) => this.process(data.trackId, job),
      retryLimit: RETRIES,
      retryDelay: 2,
      expireInSeconds: this.config.limits.processingTimeoutSeconds,
      // every attempt's worker died or timed out: the track must not stay "processing"
      onGiveUp: (data) => this.giveUp(data.trackId),
    });
  }

  /** Adds a step run after the fingerprint of every upload (at module init). */
  addStep<R>(step: ProcessingStep<R>): void {
    this.steps.push(step);
  }

  private async giveUp(trackId: string): Promise<void> {
    this.logger.error(`track ${trackId}: every processing attempt died or timed out`);
    await this.repo.markFailed(trackId, PROCESSING_ERRORS.internal_error, this.clock.now());
  }

  private async discard(outputs: { step: ProcessingStep; output: unknown }[]): Promise<void> {
    for (const { step, output } of outputs) {
      await step
        .discard(output)
        .catch((err: Error) => this.logger.warn(`${step.name}: could not discard a result: ${err.message}`));
    }
  }

  async process(trackId: string, job: JobContext): Promise<void> {
    const claim = await this.repo.claimForProcessing(trackId, this.clock.now());
    if (!claim) return; // deleted, or already done
    try {
      // S3: the object is streamed to a spool file for the decoder and the steps, removed afterwards
      const done = await this.storage.withLocalFile(claim.sha256, async (path) => {
        const result = await this.audio.fingerprint(path);
        if (!result.ok) return { result, outputs: [] };
        const outputs: { step: ProcessingStep; output: unknown }[] = [];
        try {
          for (const step of this.steps) {
            const track = { id: trackId, ownerId: claim.ownerId, path, durationMs: result.durationMs };
            outputs.push({ step, output: await step.run(track) });
          }
        } catch (err) {
          await this.discard(outputs);
          throw err;
        }
        return { result, outputs };
      });
      const { result, outputs } = done;
      if (!result.ok) {
        this.logger.warn(`track ${trackId} failed processing (${result.kind}): ${result.reason}`);
        const code = result.kind === 'unsupported' ? 'unsupported_audio' : 'corrupt_audio';
        await this.repo.markFailed(trackId, PROCESSING_ERRORS[code], this.clock.now());
        return;
      }
      try {
        await this.repo.transaction(async (tx) => {
          await this.fingerprints.store(tx, trackId, result.fingerprint, result.durationMs);
          for (const { step, output } of outputs) await step.store(tx, trackId, output);
          await this.repo.markReady(tx, trackId, this.clock.now());
        });
      } catch (err) {
        await this.discard(outputs);
        throw err;
      }
    } catch (err) {
      if (job.retryCount >= RETRIES) {
        this.logger.error(
          `track ${trackId} failed processing after ${job.retryCount + 1} attempts: ${(err as Error).message}`,
          (err as Error).stack,
        );
        await this.repo.markFailed(trackId, PROCESSING_ERRORS.internal_error, this.clock.now());
        return;
      }
      throw err;
    }
  }
}
