import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { BlockErrors } from './blocks.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import { BlocksService } from './blocks.service';
import { FeedPageDto, FollowDto, PublicProfileDto, RepostDto, UserSummaryListDto } from './dto/social.dto';
import { FeedService } from './feed.service';
import { FollowsService } from './follows.service';
import { RepostsService } from './reposts.service';
import { AccountsErrors } from '../accounts/accounts.errors';
import { SocialErrors } from './social.errors';

@ApiTags('social')
@Controller('users')
export class UsersSocialController {
  constructor(
    private readonly follows: FollowsService,
    private readonly blocks: BlocksService,
  ) {}

  @Get(':id')
  @Access.public({ scope: 'social:read' })
  @ApiOperation({
    summary: 'A public profile: name, artist, follower and following counts',
    description: '`is_following` and `follows_you` describe the signed-in caller (false when anonymous).',
  })
  @ApiErrors(AccountsErrors.userNotFound)
  profile(
    @Param('id', IdPipe) id: string,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<PublicProfileDto> {
    return this.follows.profile(id, principal);
  }

  @Post(':id/follow')
  @Access.user('social:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Follow a user',
    description:
      'Checked in order: cannot_follow_self, user_not_found, a block either way (you_blocked_user, user_blocked_you), already_following, follow_limit_reached (5,000 followed, LIMIT_FOLLOWING), follow_rate_limited (60 follows per rolling hour, LIMIT_FOLLOWS_PER_HOUR, with Retry-After; an unfollow does not give one back). Both limits hold under concurrent follows on every instance.',
  })
  @ApiErrors(
    SocialErrors.cannotFollowSelf,
    AccountsErrors.userNotFound,
    BlockErrors.youBlockedUser,
    BlockErrors.userBlockedYou,
    SocialErrors.alreadyFollowing,
    SocialErrors.followLimitReached,
    SocialErrors.followRateLimited,
  )
  follow(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<FollowDto> {
    return this.follows.follow(principal, id);
  }

  @Delete(':id/follow')
  @Access.user('social:write')
  @ApiOperation({ summary: 'Unfollow a user', description: 'user_not_found, then not_following.' })
  @ApiErrors(AccountsErrors.userNotFound, SocialErrors.notFollowing)
  unfollow(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<FollowDto> {
    return this.follows.unfollow(principal, id);
  }

  @Get(':id/followers')
  @Access.public({ scope: 'social:read' })
  @ApiOperation({ summary: 'Who follows this user, newest follow first' })
  @ApiErrors(AccountsErrors.userNotFound)
  followers(@Param('id', IdPipe) id: string, @Query() query: PageQueryDto): Promise<UserSummaryListDto> {
    return this.follows.list(id, 'followers', query);
  }

  @Get(':id/following')
  @Access.public({ scope: 'social:read' })
  @ApiOperation({ summary: 'Whom this user follows, newest follow first' })
  @ApiErrors(AccountsErrors.userNotFound)
  following(@Param('id', IdPipe) id: string, @Query() query: PageQueryDto): Promise<UserSummaryListDto> {
    return this.follows.list(id, 'following', query);
  }

  @Post(':id/block')
  @Access.user('social:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Block a user (again is fine)',
    description:
      'Removes the follows both ways and, in both directions, stops messages, new conversations, follows, playlist invitations and feed entries. Blocking yourself is validation_failed.',
  })
  @ApiErrors(AccountsErrors.userNotFound, GeneralErrors.validationFailed)
  async block(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.blocks.block(principal, id);
  }

  @Delete(':id/block')
  @Access.user('social:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unblock a user (not blocked is fine); follows are not restored' })
  @ApiErrors(AccountsErrors.userNotFound)
  async unblock(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.blocks.unblock(principal, id);
  }
}

@ApiTags('social')
@Controller()
export class SocialController {
  constructor(
    private readonly blocks: BlocksService,
    private readonly reposts: RepostsService,
    private readonly feedService: FeedService,
  ) {}

  @Get('me/blocks')
  @Access.user('social:read')
  @ApiOperation({ summary: 'The users you blocked, newest first' })
  blockList(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<UserSummaryListDto> {
    return this.blocks.list(principal, query);
  }

  @Post('tracks/:id/repost')
  @Access.user('social:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Repost a track to your followers’ feeds',
    description:
      'Checked in order: track_not_found (unknown or not visible to you), cannot_repost_own_track (you own it or are credited on it), already_reposted, repost_limit_reached (20 per rolling hour, LIMIT_REPOSTS_PER_HOUR, and 100 per rolling day, LIMIT_REPOSTS_PER_DAY, with Retry-After; removing a repost does not give one back). Holds under concurrency on every instance.',
  })
  @ApiErrors(
    TracksErrors.trackNotFound,
    SocialErrors.cannotRepostOwnTrack,
    SocialErrors.alreadyReposted,
    SocialErrors.repostLimitReached,
  )
  repost(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<RepostDto> {
    return this.reposts.repost(principal, id);
  }

  @Delete('tracks/:id/repost')
  @Access.user('social:write')
  @ApiOperation({ summary: 'Remove your repost (none is fine)' })
  @ApiErrors(TracksErrors.trackNotFound)
  unrepost(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<RepostDto> {
    return this.reposts.unrepost(principal, id);
  }

  @Get('feed')
  @Access.user('social:read')
  @ApiOperation({
    summary: 'New tracks and reposts from the accounts you follow, newest first',
    description:
      'One entry per track, at its newest activity among the accounts you follow; `reposted_by` names who reposted it (newest first, up to 3, with the total), `posted_by_followed` says it is the track of someone you follow. Only tracks anyone may see, never from a user blocked either way. The cursor keeps the first page’s moment: while you scroll, nothing repeats or is skipped; newer activity appears on a fresh first page.',
  })
  feed(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<FeedPageDto> {
    return this.feedService.feed(principal, query);
  }
}
