import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { Clock } from '../../platform/clock/clock';
import { JobContext, JobsService } from '../../platform/jobs/jobs.service';
import { StorageService } from '../../platform/storage/storage.service';
import { AudioToolkit } from '../audio/audio-toolkit';
import { FingerprintService } from '../audio/fingerprint.service';
import { PROCESS_TRACK_JOB, TracksRepository } from './tracks.repository';

const RETRIES = 3;

/**
 * The background job behind every upload: decode, fingerprint, index. pending → processing →
 * ready | failed. A file that cannot be decoded fails at once; anything else (a worker crash,
 * the database away) is retried by pg-boss, and a job whose process died mid-way is retried
 * when it expires (LIMIT_PROCESSING_TIMEOUT_SECONDS) — claiming works from "processing" too.
 */
@Injectable()
export class TrackProcessing implements OnModuleInit {
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
    });
  }

  async process(trackId: string, job: JobContext): Promise<void> {
    const claim = await this.repo.claimForProcessing(trackId, this.clock.now());
    if (!claim) return; // deleted, or already done
    try {
      const result = await this.audio.fingerprint(this.storage.objectPath(claim.sha256));
      if (!result.ok) {
        await this.repo.markFailed(trackId, `${result.kind}: ${result.reason}`, this.clock.now());
        return;
      }
      await this.repo.transaction(async (tx) => {
        await this.fingerprints.store(tx, trackId, result.fingerprint, result.durationMs);
        await this.repo.markReady(tx, trackId, this.clock.now());
      });
    } catch (err) {
      if (job.retryCount >= RETRIES) {
        await this.repo.markFailed(trackId, `processing failed: ${(err as Error).message}`, this.clock.now());
        return;
      }
      throw err;
    }
  }
}
