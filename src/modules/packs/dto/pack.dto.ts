import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDateString,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsOmittable } from '../../../platform/http/optional';
import { PeaksDto } from '../../listening/dto/listening.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreatePackDto {
  /** 1–100 characters, unique among your packs */
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
  description?: string | null;
}

export class UpdatePackDto {
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
}

export class PackTrackIdsDto {
  /** the pack's tracks, each once, in order */
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  track_ids!: string[];
}

export class PackDto {
  id!: string;
  name!: string;
  description!: string | null;
  /** the tracks in order */
  track_ids!: string[];
  track_count!: number;
  created_at!: string;
  updated_at!: string;
}

export class PackListDto {
  data!: PackDto[];
  next_cursor!: string | null;
}

export const LINK_DOWNLOADS = ['none', 'tagged', 'original'] as const;

export class CreatePackLinkDto {
  /** what the link is for, e.g. the artist it was sent to (1–100 characters) */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  label!: string;

  /** 4–64 characters; visitors send it as X-Access-Code. Stored only as a keyed hash. */
  @IsOptional()
  @IsString()
  @MinLength(4)
  @MaxLength(64)
  access_code?: string;

  /** after this instant the link answers pack_link_expired */
  @IsOptional()
  @IsDateString({ strict: true })
  expires_at?: string;

  /** none: listen only · tagged: the rendition visitors hear (voice-tagged when the producer has a tag) · original: the uploaded file */
  @IsIn(LINK_DOWNLOADS)
  downloads!: (typeof LINK_DOWNLOADS)[number];

  /** downloads through this link in all (any track); then downloads_disabled */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_downloads?: number;
}

export class PackLinkDto {
  id!: string;
  pack_id!: string;
  label!: string;
  /** the unguessable part of the URL (144 random bits, base64url) */
  slug!: string;
  /** the pack page for visitors */
  url!: string;
  has_access_code!: boolean;
  expires_at!: string | null;
  /** none | tagged | original */
  downloads!: string;
  max_downloads!: number | null;
  downloads_used!: number;
  revoked_at!: string | null;
  created_at!: string;
}

export class PackLinkListDto {
  data!: PackLinkDto[];
}

// ---- the public side ----------------------------------------------------------------------------

export class PackLinkStreamDto {
  /** a signed media URL (anonymous, valid LIMIT_STREAM_LINK_SECONDS) */
  url!: string;
  expires_at!: string;
  /** `tagged`, or `clean` when the producer has no voice tag */
  rendition!: string;
}

export class PublicPackTrackDto {
  id!: string;
  title!: string;
  duration_ms!: number | null;
  stream!: PackLinkStreamDto;
  /** the waveform (audiowaveform v2), null before it was made */
  peaks!: PeaksDto | null;
}

export class PublicPackDto {
  name!: string;
  description!: string | null;
  label!: string;
  /** none | tagged | original */
  downloads!: string;
  /** downloads left through this link (null: no cap) */
  downloads_left!: number | null;
  expires_at!: string | null;
  /** the playable tracks in order (a track sold exclusively has left the pack's links) */
  tracks!: PublicPackTrackDto[];
}

export class PackLinkQueryDto {
  /** waveform points per track (64–2,000, default 400) */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(64)
  @Max(2000)
  pixels?: number;
}

export class PackPlayDto {
  /** how long the visitor heard the track, in seconds */
  @IsInt()
  @Min(0)
  @Max(86_400)
  played_seconds!: number;
}

export class PackPlayResultDto {
  /** whether it counts as a qualified play (≥ 30 s, or the whole track if shorter) */
  qualified!: boolean;
}

// ---- analytics ----------------------------------------------------------------------------------

export class PackLinkTrackDayDto {
  track_id!: string;
  plays!: number;
  downloads!: number;
  visitors!: number;
}

export class PackLinkDayDto {
  /** YYYY-MM-DD (UTC) */
  day!: string;
  /** pack page views */
  views!: number;
  /** distinct visitors of the link that day (page or any track) */
  visitors!: number;
  plays!: number;
  downloads!: number;
  tracks!: PackLinkTrackDayDto[];
}

export class PackLinkAnalyticsDto {
  /** false when the analytics store could not be read; `reason` says why and the rest is absent */
  available!: boolean;
  reason?: string;
  days?: PackLinkDayDto[];
}
