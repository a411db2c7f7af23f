import { Transform } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { SCOPES, type Scope } from '../../../platform/access/principal';

export class CreateAccessTokenDto {
  /** 3–100 characters */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(3)
  @MaxLength(100)
  name!: string;

  /** Defaults to every scope except `admin`. A token can never hold more than its creator may. */
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];

  /** Default 90; at most LIMIT_PAT_MAX_DAYS (365). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_in_days?: number;
}

export class AccessTokenDto {
  id!: string;
  name!: string;
  /** first characters, to recognise the token */
  prefix!: string;
  scopes!: string[];
  created_at!: string;
  expires_at!: string;
  last_used_at!: string | null;
}

export class CreatedAccessTokenDto extends AccessTokenDto {
  /** The token itself: shown once, stored only as a hash. */
  token!: string;
}

export class AccessTokenListDto {
  data!: AccessTokenDto[];
  next_cursor!: string | null;
}
