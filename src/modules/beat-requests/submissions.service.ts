import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { decodeCursor, Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { FingerprintService } from '../audio/fingerprint.service';
import { trackAccess } from '../tracks/track-access';
import { TracksErrors } from '../tracks/tracks.errors';
import { TracksService } from '../tracks/tracks.service';
import { BeatRequestErrors, SubmissionErrors } from './beat-requests.errors';
import { BeatRequestsRepository } from './beat-requests.repository';
import type { SubmissionDto } from './dto/beat-request.dto';

const toSubmissionDto = (s: {
  id: string;
  requestId: string;
  trackId: string;
  producerId: string;
  createdAt: Date;
  track: { title: string };
}): SubmissionDto => ({
  id: s.id,
  request_id: s.requestId,
  track_id: s.trackId,
  producer_id: s.producerId,
  track_title: s.track.title,
  created_at: s.createdAt.toISOString(),
});

@Injectable()
export class SubmissionsService {
  constructor(
    private readonly repo: BeatRequestsRepository,
    private readonly tracks: TracksService,
    private readonly fingerprints: FingerprintService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Submits a track, checked in exactly this order: request_not_found, request_expired,
   * self_submission_blocked, track_not_found, not_track_owner, track_not_platform_hosted,
   * fingerprint_not_completed, duplicate_submission, submission_limit_reached,
   * duplicate_audio_detected. All of it under the request's row lock, so the per-producer limit
   * and the duplicate-audio rule hold when submissions arrive at the same moment.
   */
  async submit(principal: Principal, requestId: string, trackId: string): Promise<SubmissionDto> {
    return this.repo.transaction(async (tx) => {
      const request = await this.repo.lock(tx, requestId);
      if (!request) throw new AppError(BeatRequestErrors.requestNotFound);
      const now = this.clock.now();
      if (request.expiresAt <= now) throw new AppError(BeatRequestErrors.requestExpired);
      if (request.ownerId === principal.userId) throw new AppError(SubmissionErrors.selfSubmissionBlocked);

      // every read goes through the transaction: with many submissions queued on this request's
      // lock, asking the pool for a second connection could starve it
      const track = await this.tracks.find(trackId, tx);
      if (!track || !trackAccess.canSee(track, principal)) throw new AppError(TracksErrors.trackNotFound);
      if (!trackAccess.isCredited(track, principal.userId))
        throw new AppError(SubmissionErrors.notTrackOwner);
      if (track.source !== 'upload') throw new AppError(SubmissionErrors.trackNotPlatformHosted);
      const fingerprint =
        track.processingStatus === 'ready' ? await this.fingerprints.fingerprintOf(track.id, tx) : null;
      if (!fingerprint) throw new AppError(SubmissionErrors.fingerprintNotCompleted);

      if (await this.repo.isSubmitted(tx, request.id, track.id))
        throw new AppError(SubmissionErrors.duplicateSubmission);
      if (
        (await this.repo.countByProducer(tx, request.id, principal.userId)) >=
        this.config.limits.submissionsPerRequest
      ) {
        throw new AppError(SubmissionErrors.submissionLimitReached);
      }
      const submitted = await this.repo.submittedTracks(tx, request.id);
      const duplicates = await this.fingerprints.matches(
        fingerprint,
        this.config.limits.duplicateSimilarity,
        {
          within: submitted,
          exclude: [track.id],
          tx,
        },
      );
      if (duplicates.length) {
        throw new AppError(SubmissionErrors.duplicateAudioDetected, {
          context: { matching_track_id: duplicates[0].trackId, similarity: duplicates[0].similarity },
        });
      }
      return toSubmissionDto(
        await this.repo.createSubmission(tx, {
          requestId: request.id,
          trackId: track.id,
          producerId: principal.userId,
          at: now,
        }),
      );
    });
  }

  /** The request's creator sees every submission; anyone else sees their own. */
  async list(principal: Principal, requestId: string, query: PageQueryDto): Promise<Page<SubmissionDto>> {
    const request = await this.repo.find(requestId);
    if (!request) throw new AppError(BeatRequestErrors.requestNotFound);
    const limit = pageLimit(query);
    const rows = await this.repo.submissions(
      requestId,
      request.ownerId === principal.userId ? undefined : principal.userId,
      limit + 1,
      decodeCursor(query.cursor),
    );
    return toPage(rows, limit, (s) => ({ at: s.createdAt, id: s.id }), toSubmissionDto);
  }
}
