import { defineErrors } from '../../platform/errors/app-error';

export const SocialErrors = defineErrors('social', {
  alreadyFollowing: {
    code: 'already_following',
    status: 409,
    message: 'Already following.',
    description: 'Following someone already followed.',
  },
  notFollowing: {
    code: 'not_following',
    status: 404,
    message: 'Not following this user.',
    description: 'Unfollowing someone not followed.',
  },
  followLimitReached: {
    code: 'follow_limit_reached',
    status: 429,
    message: 'Maximum following reached.',
    description:
      'Following more than 5,000 accounts (LIMIT_FOLLOWING); holds under concurrent follows, across instances.',
  },
  followRateLimited: {
    code: 'follow_rate_limited',
    status: 429,
    message: 'Too many follows. Wait before following more.',
    description:
      'More than 60 follows in a rolling hour by the application clock (LIMIT_FOLLOWS_PER_HOUR); an unfollow does not give a follow back. Carries `Retry-After` and `retry_after`.',
  },
  cannotFollowSelf: {
    code: 'cannot_follow_self',
    status: 422,
    message: 'You cannot follow yourself.',
    description: 'Following oneself.',
  },
  alreadyReposted: {
    code: 'already_reposted',
    status: 409,
    message: 'Track already reposted.',
    description: 'Reposting a track already reposted.',
  },
  repostLimitReached: {
    code: 'repost_limit_reached',
    status: 429,
    message: 'Repost limit exceeded.',
    description:
      'More than 20 reposts in a rolling hour (LIMIT_REPOSTS_PER_HOUR) or 100 in a rolling day (LIMIT_REPOSTS_PER_DAY); removing a repost does not give one back. Carries `Retry-After` and `retry_after`.',
  },
  cannotRepostOwnTrack: {
    code: 'cannot_repost_own_track',
    status: 400,
    message: 'Cannot repost own track.',
    description: 'Reposting a track one owns or is credited on.',
  },
});
