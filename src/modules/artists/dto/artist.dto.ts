import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsOmittable } from '../../../platform/http/optional';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/;
const SLUG_MESSAGE = 'slug must be 1–50 lower-case letters, digits or inner hyphens';

export class CreateArtistDto {
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  /** lower-case letters, digits and inner hyphens, 1–50 characters; unique */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  )
  @IsString()
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  bio?: string;
}

export class UpdateArtistDto {
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOmittable()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  )
  @IsString()
  @Matches(SLUG, { message: SLUG_MESSAGE })
  slug?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  bio?: string;
}

export class ArtistDto {
  id!: string;
  user_id!: string;
  name!: string;
  slug!: string;
  /** set by an approved producer-program verify or claim request; a new name or slug clears it */
  verified!: boolean;
  bio!: string | null;
  version!: number;
  created_at!: string;
}
