import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError, type ErrorDefinition } from '../../platform/errors/app-error';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { RollingBudget } from '../../platform/rate-limit/rolling-budget';
import type { FollowDto, PublicProfileDto, UserSummaryDto } from './dto/social.dto';
import { AccountsErrors } from '../accounts/accounts.errors';
import { assertNoBlock } from './blocks.errors';
import { SocialErrors } from './social.errors';
import { SocialRepository } from './social.repository';

const HOUR = 3600;

/** Builds the 429 of a rolling budget: `Retry-After` header and `retry_after` in the body. */
export const retryLater = (def: ErrorDefinition, seconds: number): AppError =>
  new AppError(def, { context: { retry_after: seconds }, headers: { 'Retry-After': String(seconds) } });

@Injectable()
export class FollowsService {
  constructor(
    private readonly repo: SocialRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Checked in order: cannot_follow_self, user_not_found, a block either way
   * (you_blocked_user / user_blocked_you), already_following, follow_limit_reached,
   * follow_rate_limited. One transaction under the caller's follow lock (their count and hourly
   * budget are final while it runs, on every instance) and the pair's lock (a block cannot
   * interleave).
   */
  async follow(principal: Principal, targetId: string): Promise<FollowDto> {
    const me = principal.userId;
    if (targetId === me) throw new AppError(SocialErrors.cannotFollowSelf);
    const { following, followsPerHour } = this.config.limits;
    const followers = await this.repo.transaction(async (tx) => {
      await RollingBudget.lock(tx, 'follow', me);
      // read once the lock is ours: the caller's follows are stamped in the order they happen
      const now = this.clock.now();
      await this.repo.lockPair(tx, me, targetId);
      const state = await this.repo.followState(tx, me, targetId);
      if (!state.exists) throw new AppError(AccountsErrors.userNotFound);
      assertNoBlock(state.relation, 'follow');
      if (state.following) throw new AppError(SocialErrors.alreadyFollowing);
      if (state.count >= following) {
        throw new AppError(SocialErrors.followLimitReached, {
          message: `Maximum following reached (${following}).`,
        });
      }
      const spent = await RollingBudget.spend(
        tx,
        'follow',
        me,
        [{ seconds: HOUR, limit: followsPerHour }],
        now,
      );
      if (!spent.ok) throw retryLater(SocialErrors.followRateLimited, spent.retryAfter);
      return this.repo.insertFollow(tx, me, targetId, now);
    });
    return { user_id: targetId, following: true, follower_count: followers };
  }

  /** user_not_found, then not_following. The hourly follow budget is not given back. */
  async unfollow(principal: Principal, targetId: string): Promise<FollowDto> {
    const me = principal.userId;
    await this.repo.transaction(async (tx) => {
      if (!(await this.repo.userExists(targetId, tx))) throw new AppError(AccountsErrors.userNotFound);
      await this.repo.lockPair(tx, me, targetId);
      if (!(await this.repo.deleteFollow(tx, me, targetId))) throw new AppError(SocialErrors.notFollowing);
    });
    const profile = await this.repo.profile(targetId);
    return { user_id: targetId, following: false, follower_count: profile?.followers ?? 0 };
  }

  async list(
    userId: string,
    side: 'followers' | 'following',
    query: PageQueryDto,
  ): Promise<Page<UserSummaryDto>> {
    if (!(await this.repo.userExists(userId))) throw new AppError(AccountsErrors.userNotFound);
    const limit = pageLimit(query);
    const rows = await this.repo.followList(userId, side, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, byCreation, (r) => ({
      id: r.id,
      display_name: r.displayName,
      since: r.createdAt.toISOString(),
    }));
  }

  async profile(userId: string, viewer: Principal | undefined): Promise<PublicProfileDto> {
    const row = await this.repo.profile(userId);
    if (!row) throw new AppError(AccountsErrors.userNotFound);
    const rel =
      viewer && viewer.userId !== userId
        ? await this.repo.followsOf(viewer.userId, userId)
        : { following: false, followedBy: false };
    return {
      id: row.id,
      display_name: row.displayName,
      artist: row.artist,
      follower_count: row.followers,
      following_count: row.following,
      is_following: rel.following,
      follows_you: rel.followedBy,
      created_at: row.createdAt.toISOString(),
    };
  }
}
