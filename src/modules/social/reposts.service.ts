import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { RollingBudget } from '../../platform/rate-limit/rolling-budget';
import { trackAccess } from '../tracks/track-access';
import { TracksService } from '../tracks/tracks.service';
import type { RepostDto } from './dto/social.dto';
import { retryLater } from './follows.service';
import { SocialErrors } from './social.errors';
import { SocialRepository } from './social.repository';

@Injectable()
export class RepostsService {
  constructor(
    private readonly repo: SocialRepository,
    private readonly tracks: TracksService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Checked in order: track_not_found (unknown or not visible to the caller),
   * cannot_repost_own_track (owner or credited collaborator), already_reposted,
   * repost_limit_reached (rolling hour, then rolling day; Retry-After is the longer wait).
   * Under the caller's repost lock, so the budgets hold under concurrency and across instances.
   */
  async repost(principal: Principal, trackId: string): Promise<RepostDto> {
    const me = principal.userId;
    const track = await this.tracks.visibleTrack(trackId, principal);
    if (trackAccess.can(principal, 'credited', track)) throw new AppError(SocialErrors.cannotRepostOwnTrack);
    const { repostsPerHour, repostsPerDay } = this.config.limits;
    await this.repo.transaction(async (tx) => {
      await RollingBudget.lock(tx, 'repost', me);
      // read once the lock is ours: the caller's reposts are stamped in the order they happen
      const now = this.clock.now();
      if (await this.repo.hasReposted(tx, me, trackId)) throw new AppError(SocialErrors.alreadyReposted);
      const spent = await RollingBudget.spend(
        tx,
        'repost',
        me,
        [
          { seconds: 3600, limit: repostsPerHour },
          { seconds: 86_400, limit: repostsPerDay },
        ],
        now,
      );
      if (!spent.ok) throw retryLater(SocialErrors.repostLimitReached, spent.retryAfter);
      await this.repo.insertRepost(tx, me, trackId, now);
    });
    return { track_id: trackId, reposted: true, repost_count: await this.repo.repostCount(trackId) };
  }

  /** Removing a repost that is not there is not an error; the budgets are not given back. */
  async unrepost(principal: Principal, trackId: string): Promise<RepostDto> {
    await this.tracks.visibleTrack(trackId, principal);
    await this.repo.deleteRepost(principal.userId, trackId);
    return { track_id: trackId, reposted: false, repost_count: await this.repo.repostCount(trackId) };
  }
}
