import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { IsOmittable } from '../../../platform/http/optional';

export class PlanSummaryDto {
  id!: string;
  name!: string;
}

export class MeDto {
  id!: string;
  email!: string;
  display_name!: string;
  role!: 'user' | 'admin';
  status!: 'active' | 'suspended';
  email_verified!: boolean;
  plan!: PlanSummaryDto;
  permissions!: string[];
  /** also the `ETag`; send it as `If-Match` with PATCH */
  version!: number;
  created_at!: string;
}

export class UpdateMeDto {
  @IsOmittable()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  display_name?: string;

  /** At least 8 characters; needs current_password and a signed-in session (a personal access token is forbidden). Signs out the caller's other sessions and revokes every personal access token. */
  @IsOmittable()
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  new_password?: string;

  /** Required with new_password. A wrong one counts against the account's failed-login budget. */
  @ValidateIf((o: UpdateMeDto) => o.new_password !== undefined)
  @IsString({ message: 'current_password is required to change the password' })
  @MaxLength(200)
  current_password?: string;
}
