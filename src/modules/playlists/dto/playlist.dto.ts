import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { TrackSummaryDto } from '../../tracks/track-summary';
import { IsOmittable } from '../../../platform/http/optional';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const VISIBILITIES = ['public', 'private'] as const;

export class CreatePlaylistDto {
  /** 1–100 characters */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  /** up to 1000 characters */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(1000)
  description?: string;

  @IsIn(VISIBILITIES)
  visibility!: (typeof VISIBILITIES)[number];
}

export class UpdatePlaylistDto {
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name?: string;

  /** null clears it */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @IsOmittable()
  @IsIn(VISIBILITIES)
  visibility?: (typeof VISIBILITIES)[number];
}

export class DuplicatePlaylistDto {
  /** default: the source's name followed by " (copy)" */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name?: string;

  /** default: private */
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: (typeof VISIBILITIES)[number];
}

export class AddTrackDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  track_id!: string;
}

export class ReorderDto {
  /** every track of the playlist, each once, in the new order */
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  track_ids!: string[];
}

export class MoveTrackDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  track_id!: string;

  /** the track to place it just before; null moves it to the end */
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  before_track_id!: string | null;
}

export class InviteDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  user_id!: string;
}

export class PlaylistEditorDto {
  user_id!: string;
  added_at!: string;
}

export class PlaylistEntryDto {
  track_id!: string;
  /** who added it (for a duplicated playlist: its new owner) */
  added_by!: string;
  added_at!: string;
  /** false when the track is not visible to you (e.g. a private upload, or processing failed); `track` is then null */
  available!: boolean;
  track!: TrackSummaryDto | null;
}

export class PlaylistSummaryDto {
  id!: string;
  owner_id!: string;
  name!: string;
  description!: string | null;
  /** public | private */
  visibility!: string;
  /** the ETag */
  version!: number;
  /** every entry, unavailable ones included */
  track_count!: number;
  /** sum of the known durations of its tracks (external links have none) */
  duration_ms!: number;
  /** your role: owner | editor | viewer (invited) | null */
  role!: string | null;
  created_at!: string;
  updated_at!: string;
}

export class PlaylistDto extends PlaylistSummaryDto {
  editors!: PlaylistEditorDto[];
  tracks!: PlaylistEntryDto[];
}

export class PlaylistListDto {
  data!: PlaylistSummaryDto[];
  next_cursor!: string | null;
}

export class PlaylistChangeDto {
  playlist_id!: string;
  /** the new version (also the response's ETag) */
  version!: number;
  track_count!: number;
}

export class AddedTrackDto extends PlaylistChangeDto {
  entry!: PlaylistEntryDto;
}

export class PlaylistOrderDto {
  playlist_id!: string;
  version!: number;
  track_ids!: string[];
}

export class MovedTrackDto {
  playlist_id!: string;
  version!: number;
  track_id!: string;
  before_track_id!: string | null;
}

export class InvitationDto {
  id!: string;
  playlist_id!: string;
  playlist_name!: string;
  invitee_id!: string;
  inviter_id!: string;
  /** pending | accepted | declined */
  status!: string;
  created_at!: string;
  expires_at!: string;
}

export class InvitationListDto {
  data!: InvitationDto[];
  next_cursor!: string | null;
}
