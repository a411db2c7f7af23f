import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { CallCombiner } from '../../platform/database/call-combiner';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { pgErrorOf } from '../../platform/database/db-errors';
import { CANDIDATES, FingerprintService } from '../audio/fingerprint.service';
import { trackAccess } from '../tracks/track-access';
import { TracksErrors } from '../tracks/tracks.errors';
import { BeatRequestErrors, SubmissionErrors } from './beat-requests.errors';
import { BeatRequestsRepository, type NewSubmission, type TryOutcome } from './beat-requests.repository';
import { requestAccess, submissionAccess } from './request-access';
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

/** At most this many submissions to one request in one call of `submission_try`. */
const BATCH = 32;

@Injectable()
export class SubmissionsService {
  private readonly rule: { limit: number; candidates: number };

  /**
   * Submissions to one request that arrive while this instance's previous call for it runs go
   * together in the next one: one lock turn-around and one commit for the batch. A constraint
   * violation (a track deleted meanwhile) rolls the whole call back; its items then run alone,
   * so only the submission at fault is refused.
   */
  private readonly tries: CallCombiner<string, NewSubmission, TryOutcome>;
  /** The common case's call: through `tries`, or alone with SUBMISSION_BATCHING=0 (AppConfig). */
  private readonly tryAlone: boolean;

  constructor(
    private readonly repo: BeatRequestsRepository,
    private readonly fingerprints: FingerprintService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.rule = { limit: config.limits.submissionsPerRequest, candidates: CANDIDATES };
    this.tries = new CallCombiner(
      (requestId, batch) => repo.trySubmit(undefined, requestId, batch, this.rule),
      {
        max: BATCH,
        split: (err) => pgErrorOf(err)?.code.startsWith('23') ?? false,
      },
    );
    this.tryAlone = !config.submissionBatching;
  }

  /**
   * Submits a track, checked in exactly this order: request_not_found, request_expired,
   * self_submission_blocked, track_not_found, not_track_owner, track_not_platform_hosted,
   * fingerprint_not_completed, duplicate_submission, submission_limit_reached,
   * duplicate_audio_detected.
   *
   * The first seven depend on nothing other submissions change, so they are read up front, in
   * one statement, without a lock. The last three do: they run under the request's row lock, in
   * the statement (or, with similar audio on the request, the transaction) that inserts, so five
   * per producer and no duplicate audio hold however many submissions arrive at once. The common
   * case is one call of `submission_try` in autocommit, shared with the submissions to the same
   * request that arrived meanwhile: the lock is held for no client round trip and taken once per
   * batch, which is what lets a popular request take many submissions a second (bench `requests`).
   */
  async submit(principal: Principal, requestId: string, trackId: string): Promise<SubmissionDto> {
    const now = this.clock.now();
    const { request, track: found, fingerprinted } = await this.repo.submissionContext(requestId, trackId);
    if (!request) throw new AppError(BeatRequestErrors.requestNotFound);
    if (request.expiresAt <= now) throw new AppError(BeatRequestErrors.requestExpired);
    if (requestAccess.roles(request, principal).has('owner'))
      throw new AppError(SubmissionErrors.selfSubmissionBlocked);
    const track = trackAccess.assert(principal, 'credited', found, SubmissionErrors.notTrackOwner);
    if (track.source !== 'upload') throw new AppError(SubmissionErrors.trackNotPlatformHosted);
    if (track.processingStatus !== 'ready' || !fingerprinted) {
      throw new AppError(SubmissionErrors.fingerprintNotCompleted);
    }

    const submission = { id: newId('sbm'), requestId, trackId, producerId: principal.userId, at: now };
    await this.insertUnderLock(submission).catch((err: unknown) => {
      // the track was deleted between the read and the insert
      if (pgErrorOf(err)?.constraint === 'submissions_track_id_fkey')
        throw new AppError(TracksErrors.trackNotFound);
      throw err;
    });
    return toSubmissionDto({ ...submission, createdAt: now, track: { title: track.title } });
  }

  /**
   * duplicate_submission, submission_limit_reached, duplicate_audio_detected under the request's
   * lock, then the insert. The common case is one call of `submission_try` in autocommit (with the
   * batch it joined); with similar audio on the request it runs again, for this submission alone,
   * in a transaction that keeps the lock while the candidates are compared exactly, and inserts
   * when none is a duplicate.
   */
  private async insertUnderLock(submission: NewSubmission): Promise<void> {
    const refuseOn = (outcome: TryOutcome): void => {
      // deleted while we read: gone; renewals only ever extend an expired request
      if (!outcome.found) throw new AppError(BeatRequestErrors.requestNotFound);
      if (outcome.submitted) throw new AppError(SubmissionErrors.duplicateSubmission);
      if (outcome.mine >= this.rule.limit) throw new AppError(SubmissionErrors.submissionLimitReached);
    };
    const first = this.tryAlone
      ? (await this.repo.trySubmit(undefined, submission.requestId, [submission], this.rule))[0]
      : await this.tries.call(submission.requestId, submission);
    refuseOn(first);
    if (first.inserted) return;
    // read before the lock is taken again; gone with its track: the insert below says so
    const fingerprint = (await this.fingerprints.fingerprintOf(submission.trackId)) ?? [];
    await this.repo.transaction(async (tx) => {
      const [outcome] = await this.repo.trySubmit(tx, submission.requestId, [submission], this.rule);
      refuseOn(outcome);
      if (outcome.inserted) return;
      const duplicates = this.fingerprints.compare(
        fingerprint,
        outcome.candidates,
        this.config.limits.duplicateSimilarity,
      );
      if (duplicates.length) {
        throw new AppError(SubmissionErrors.duplicateAudioDetected, {
          context: { matching_track_id: duplicates[0].trackId, similarity: duplicates[0].similarity },
        });
      }
      await this.repo.createSubmission(tx, submission);
    });
  }

  /** The request's creator (and admins) see every submission; anyone else sees their own. */
  async list(principal: Principal, requestId: string, query: PageQueryDto): Promise<Page<SubmissionDto>> {
    const request = requestAccess.assert(principal, 'see', await this.repo.find(requestId));
    const limit = pageLimit(query);
    const rows = await this.repo.submissions(
      requestId,
      requestAccess.can(principal, 'submissions', request) ? undefined : principal.userId,
      limit + 1,
      decodeCursor(query.cursor),
    );
    return toPage(submissionAccess.filter(principal, 'read', rows), limit, byCreation, toSubmissionDto);
  }
}
