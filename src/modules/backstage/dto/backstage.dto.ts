import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUrl, MaxLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../../platform/pagination/page.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const BACKSTAGE_TYPES = ['become-artist', 'verify-artist', 'claim-artist'] as const;
export type BackstageType = (typeof BACKSTAGE_TYPES)[number];
export const BACKSTAGE_STATUSES = ['pending', 'approved', 'denied', 'revoked'] as const;

export class CreateBackstageRequestDto {
  /** become-artist: join as a producer · verify-artist: verify your artist profile · claim-artist: claim an existing profile */
  @IsIn(BACKSTAGE_TYPES)
  type!: BackstageType;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  first_name!: string;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  last_name!: string;

  /** required for become-artist and claim-artist: where your beats are (http/https) */
  @ValidateIf((o: CreateBackstageRequestDto) => o.type !== 'verify-artist' || o.beats_link !== undefined)
  @Transform(trim)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true },
    { message: 'beats_link must be an http(s) URL' },
  )
  @MaxLength(500)
  beats_link?: string;

  /** required for verify-artist (your own profile) and claim-artist (the profile you claim) */
  @ValidateIf((o: CreateBackstageRequestDto) => o.type !== 'become-artist' || o.artist_id !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  artist_id?: string;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(2000)
  message?: string;
}

export class DecisionDto {
  /** why, for the applicant and the audit log */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(2000)
  notes?: string;
}

export class ListBackstageQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(BACKSTAGE_STATUSES)
  status?: (typeof BACKSTAGE_STATUSES)[number];
}

export class BackstageRequestDto {
  id!: string;
  user_id!: string;
  type!: BackstageType;
  /** pending | approved | denied | revoked */
  status!: string;
  first_name!: string;
  last_name!: string;
  beats_link!: string | null;
  artist_id!: string | null;
  message!: string | null;
  decided_by!: string | null;
  decided_at!: string | null;
  decision_notes!: string | null;
  created_at!: string;
}

export class BackstageRequestListDto {
  data!: BackstageRequestDto[];
  next_cursor!: string | null;
}

export class EligibilityDto {
  can_submit!: boolean;
  /** null, or missing_permission | request_pending | request_revoked */
  block_reason!: 'missing_permission' | 'request_pending' | 'request_revoked' | null;
  message!: string | null;
  /** where to appeal a revoked request */
  contact_url!: string;
  blocking_request_id!: string | null;
}
