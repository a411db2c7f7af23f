export class UserSummaryDto {
  id!: string;
  display_name!: string;
  /** when the follow (or block) was made */
  since!: string;
}

export class UserSummaryListDto {
  data!: UserSummaryDto[];
  next_cursor!: string | null;
}

export class ProfileArtistDto {
  id!: string;
  name!: string;
  slug!: string;
  verified!: boolean;
}

export class PublicProfileDto {
  id!: string;
  display_name!: string;
  artist!: ProfileArtistDto | null;
  follower_count!: number;
  following_count!: number;
  /** whether the signed-in caller follows this user (false when anonymous) */
  is_following!: boolean;
  /** whether this user follows the signed-in caller (false when anonymous) */
  follows_you!: boolean;
  created_at!: string;
}

export class FollowDto {
  user_id!: string;
  following!: boolean;
  follower_count!: number;
}

export class RepostDto {
  track_id!: string;
  reposted!: boolean;
  repost_count!: number;
}

export class FeedTrackDto {
  id!: string;
  title!: string;
  owner_id!: string;
  owner_name!: string;
  genre!: string;
  bpm!: number;
  key!: string | null;
  source!: string;
  external_url!: string | null;
  duration_ms!: number | null;
  repost_count!: number;
  created_at!: string;
}

export class FeedEntryDto {
  track!: FeedTrackDto;
  /** the newest activity on this track among the accounts you follow: the feed's order */
  activity_at!: string;
  /** true when an account you follow posted this track (it is theirs) */
  posted_by_followed!: boolean;
  /** accounts you follow who reposted it, newest first (at most 3) */
  reposted_by!: ReposterDto[];
  reposted_by_count!: number;
}

export class ReposterDto {
  id!: string;
  display_name!: string;
}

export class FeedPageDto {
  data!: FeedEntryDto[];
  next_cursor!: string | null;
}
