import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import { JobContext, JobsService } from '../../platform/jobs/jobs.service';
import { StorageService } from '../../platform/storage/storage.service';
import { AudioToolkit } from '../audio/audio-toolkit';
import { FingerprintService } from '../audio/fingerprint.service';
import { PROCESS_TRACK_JOB, TracksRepository } from './tracks.repository';

const RETRIES = 3;

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
 * The background job behind every upload: decode, fingerprint, index. pending → processing →
 * ready | failed. A file that cannot be decoded fails at once; anything else (a worker crash,
 * the database away) is retried by pg-boss, and a job whose process died mid-way is retried
 * when it expires (LIMIT_PROCESSING_TIMEOUT_SECONDS) — claiming works from "processing" too.
 */
@Injectable()
export class TrackProcessing implements OnModuleInit {
  private readonly logger = new Logger(TrackProcessing.name);

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

  private async giveUp(trackId: string): Promise<void> {
    this.logger.error(`track ${trackId}: every processing attempt died or timed out`);
    await this.repo.markFailed(trackId, PROCESSING_ERRORS.internal_error, this.clock.now());
  }

  async process(trackId: string, job: JobContext): Promise<void> {
    const claim = await this.repo.claimForProcessing(trackId, this.clock.now());
    if (!claim) return; // deleted, or already done
    try {
      // S3: the object is streamed to a spool file for the decoder, removed afterwards
      const result = await this.storage.withLocalFile(claim.sha256, (path) => this.audio.fingerprint(path));
      if (!result.ok) {
        this.logger.warn(`track ${trackId} failed processing (${result.kind}): ${result.reason}`);
        const code = result.kind === 'unsupported' ? 'unsupported_audio' : 'corrupt_audio';
        await this.repo.markFailed(trackId, PROCESSING_ERRORS[code], this.clock.now());
        return;
      }
      await this.repo.transaction(async (tx) => {
        await this.fingerprints.store(tx, trackId, result.fingerprint, result.durationMs);
        await this.repo.markReady(tx, trackId, this.clock.now());
      });
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
