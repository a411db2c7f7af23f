import { Transform, Type } from 'class-transformer';
import {
  IsObject,
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  ArrayUnique,
} from 'class-validator';
import { errorCode } from '../../../platform/http/validation.pipe';
import { PageQueryDto } from '../../../platform/pagination/page.dto';
import { TracksErrors } from '../tracks.errors';
import { IsDecimal } from '../../../platform/http/decimals';
import { IsOmittable } from '../../../platform/http/optional';

const missing = errorCode(TracksErrors.missingTrackMetadata);
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Tags arrive as a JSON array, repeated form fields, or one comma-separated field. */
const toTags = ({ value }: { value: unknown }): unknown => {
  const list: unknown = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) return list;
  const tags = (list as unknown[]).map((t) => (typeof t === 'string' ? t.trim().toLowerCase() : t));
  return [...new Set(tags.filter((t) => t !== ''))];
};
/** Form fields are strings: "120" is a number here, "" is missing. */
const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
    ? Number(value)
    : value === ''
      ? undefined
      : value;

export class TrackMetadataDto {
  @Transform(trim)
  @IsDefined(missing)
  @IsString()
  @IsNotEmpty(missing)
  @MaxLength(200)
  title!: string;

  /** beats per minute, 50–200 */
  @Transform(toNumber)
  @IsDefined(missing)
  @IsInt()
  @Min(50)
  @Max(200)
  bpm!: number;

  @Transform(trim)
  @IsDefined(missing)
  @IsString()
  @IsNotEmpty(missing)
  @MaxLength(50)
  genre!: string;

  /** musical key, e.g. "F#m" */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(20)
  key?: string;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(50)
  mood?: string;

  /** up to 20 tags (form: repeat the field or separate with commas) */
  @IsOptional()
  @Transform(toTags)
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  tags?: string[];
}

/** The text fields of a `multipart/form-data` upload (the file goes in the field `audio`). */
export class UploadTrackFieldsDto extends TrackMetadataDto {}

/** A track that lives elsewhere: stored as a link, never fingerprinted. */
export class CreateExternalTrackDto extends TrackMetadataDto {
  @Transform(trim)
  @IsDefined()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(500)
  external_url!: string;
}

/** Multipart upload body (documentation of `multipart/form-data`). */
export class UploadTrackFormDto extends TrackMetadataDto {
  /** WAV, FLAC or AIFF, ≥ 1 s, ≤ 256 MB */
  audio!: string;
}

export class UpdateTrackDto {
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  title?: string;

  @IsOmittable()
  @IsInt()
  @Min(50)
  @Max(200)
  bpm?: number;

  @IsOmittable()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  genre?: string;

  @IsOptional()
  @IsString()
  @MaxLength(20)
  key?: string;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  mood?: string;

  @IsOmittable()
  @Transform(toTags)
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  tags?: string[];
}

export class ListTracksQueryDto extends PageQueryDto {
  /** artist id or slug */
  @IsOptional()
  @IsString()
  @MaxLength(60)
  artist?: string;

  @IsOptional()
  @IsString()
  @MaxLength(50)
  genre?: string;

  /** words to find in title, genre and tags */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export const COLLABORATOR_ROLES = [
  'owner',
  'producer',
  'co_producer',
  'composer',
  'songwriter',
  'engineer',
  'featured_artist',
] as const;

export class CollaboratorInputDto {
  @IsString()
  @MaxLength(40)
  user_id!: string;

  @IsIn(COLLABORATOR_ROLES)
  role!: (typeof COLLABORATOR_ROLES)[number];

  /** 0–100, two decimals */
  @Type(() => Number)
  @IsDecimal(2)
  @Min(0)
  @Max(100)
  split_percent!: number;
}

export class SetCollaboratorsDto {
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique((c: CollaboratorInputDto) => c.user_id, { message: 'each user may be credited once' })
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => CollaboratorInputDto)
  collaborators!: CollaboratorInputDto[];
}

export class CollaboratorDto {
  user_id!: string;
  role!: string;
  split_percent!: number;
}

export class CollaboratorListDto {
  data!: CollaboratorDto[];
}

export class TrackArtistDto {
  id!: string;
  name!: string;
  slug!: string;
  verified!: boolean;
}

export class TrackAudioDto {
  format!: string;
  duration_ms!: number;
  sample_rate!: number | null;
  channels!: number | null;
  size_bytes!: number;
}

export class TrackDto {
  id!: string;
  owner_id!: string;
  artist!: TrackArtistDto | null;
  title!: string;
  bpm!: number;
  genre!: string;
  key!: string | null;
  mood!: string | null;
  tags!: string[];
  source!: 'upload' | 'external';
  external_url!: string | null;
  audio!: TrackAudioDto | null;
  /** null for external-link tracks; pending → processing → ready | failed */
  processing_status!: 'pending' | 'processing' | 'ready' | 'failed' | null;
  /**
   * Why processing failed, as a stable code (never the raw cause, which is logged):
   * `corrupt_audio` — the audio cannot be decoded; `unsupported_audio` — not WAV, FLAC or AIFF
   * after all; `internal_error` — our side failed on every attempt (upload again later).
   * null unless `processing_status` is `failed`.
   */
  processing_error!: 'corrupt_audio' | 'unsupported_audio' | 'internal_error' | null;
  /** integrated loudness (ITU-R BS.1770 / EBU R128) in LUFS; null until measured or for an external link */
  loudness_lufs!: number | null;
  /** true peak (4× oversampled) in dBTP; null until measured */
  true_peak_dbtp!: number | null;
  /** the gain a player applies to play the track at −14 LUFS (Spotify's and YouTube's reference): −14 − loudness_lufs; renditions are not altered */
  replay_gain_db!: number | null;
  collaborators?: CollaboratorDto[];
  /** how many users reposted the track */
  repost_count!: number;
  /** also the `ETag`; send it as `If-Match` with PATCH */
  version!: number;
  created_at!: string;
  updated_at!: string;
}

export class TrackListDto {
  data!: TrackDto[];
  next_cursor!: string | null;
}

export class ReconMatchDto {
  track_id!: string;
  /** 0–1: 1 − bit error rate of the fingerprints at their best alignment */
  similarity!: number;
  title!: string;
  owner_id!: string;
  artist!: TrackArtistDto | null;
}

export class ReconDto {
  artist_verified!: boolean;
  matches!: ReconMatchDto[];
}
