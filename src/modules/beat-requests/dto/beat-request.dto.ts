import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBooleanString,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { errorCode } from '../../../platform/http/validation.pipe';
import { PageQueryDto } from '../../../platform/pagination/page.dto';
import { BeatRequestErrors } from '../beat-requests.errors';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const REFERENCE_HOSTS = [
  'youtube.com',
  'youtu.be',
  'music.youtube.com',
  'spotify.com',
  'soundcloud.com',
  'music.apple.com',
];

/** An http(s) URL on YouTube, Spotify, SoundCloud or Apple Music (any subdomain of those). */
export function isReferenceTrackUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 500) return false;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    const host = url.hostname.toLowerCase().replace(/^www\./, '');
    return REFERENCE_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
  } catch {
    return false;
  }
}

const IsReferenceTrackUrl = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isReferenceTrackUrl',
      validator: {
        // a missing link is reference_track_required's to report
        validate: (v: unknown) => v === undefined || v === null || v === '' || isReferenceTrackUrl(v),
        defaultMessage: () =>
          'reference_track_url must be a YouTube, Spotify, SoundCloud or Apple Music link',
      },
    },
    options,
  );

export const DURATIONS = [24, 48, 72] as const;

export class CreateBeatRequestDto {
  /** 10–500 characters */
  @Transform(trim)
  @IsString()
  @MinLength(10, errorCode(BeatRequestErrors.descriptionTooShort))
  @MaxLength(500)
  description!: string;

  /** a YouTube, Spotify, SoundCloud or Apple Music link, ≤ 500 characters */
  @Transform(trim)
  @IsNotEmpty(errorCode(BeatRequestErrors.referenceTrackRequired))
  @IsReferenceTrackUrl(errorCode(BeatRequestErrors.invalidReferenceTrack))
  reference_track_url!: string;

  /** 24 h costs 1 token, 48 h 2, 72 h 3 */
  @IsIn(DURATIONS)
  duration_hours!: (typeof DURATIONS)[number];

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(120)
  title?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  genres?: string[];

  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(200)
  bpm_min?: number;

  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(200)
  bpm_max?: number;

  @IsOptional()
  @IsString()
  @MaxLength(20)
  key?: string;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  mood?: string;
}

export class RenewBeatRequestDto {
  @IsIn(DURATIONS)
  duration_hours!: (typeof DURATIONS)[number];
}

export class ListBeatRequestsQueryDto extends PageQueryDto {
  /** active (default) or expired */
  @IsOptional()
  @IsIn(['active', 'expired'])
  status?: 'active' | 'expired';

  /** only mine (needs a signed-in caller) */
  @IsOptional()
  @IsBooleanString()
  mine?: string;
}

export class BeatRequestDto {
  id!: string;
  owner_id!: string;
  title!: string | null;
  description!: string;
  reference_track_url!: string;
  genres!: string[];
  bpm_min!: number | null;
  bpm_max!: number | null;
  key!: string | null;
  mood!: string | null;
  duration_hours!: number;
  token_cost!: number;
  status!: 'active' | 'expired';
  renewals!: number;
  submission_count!: number;
  expires_at!: string;
  created_at!: string;
}

export class BeatRequestListDto {
  data!: BeatRequestDto[];
  next_cursor!: string | null;
}

export class SubmitDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  track_id!: string;
}

export class SubmissionDto {
  id!: string;
  request_id!: string;
  track_id!: string;
  producer_id!: string;
  track_title!: string;
  created_at!: string;
}

export class SubmissionListDto {
  data!: SubmissionDto[];
  next_cursor!: string | null;
}

export class TokenEntryDto {
  id!: string;
  /** grant | debit | refund | reset */
  kind!: string;
  amount!: number;
  request_id!: string | null;
  note!: string | null;
  created_at!: string;
}

export class RequestTokensDto {
  balance!: number;
  monthly_allowance!: number;
  /** the month (UTC) this balance belongs to */
  period!: string;
  resets_at!: string;
  /** this month's entries, newest first (up to 100): they add up to the balance */
  ledger!: TokenEntryDto[];
}
