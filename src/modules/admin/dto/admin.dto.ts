import { Transform } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../../../platform/pagination/page.dto';
import { PERMISSIONS } from '../../accounts/permissions';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ListUsersQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';

  /** part of the email or display name */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class AdminUserArtistDto {
  id!: string;
  name!: string;
  slug!: string;
  verified!: boolean;
}

export class AdminUserDto {
  id!: string;
  email!: string;
  display_name!: string;
  role!: 'user' | 'admin';
  status!: 'active' | 'suspended';
  email_verified!: boolean;
  plan_id!: string;
  permissions!: string[];
  suspended_at!: string | null;
  suspended_reason!: string | null;
  /** the user's artist profile, if they have one */
  artist!: AdminUserArtistDto | null;
  /** also the `ETag`; send it as `If-Match` with a change */
  version!: number;
  created_at!: string;
}

export class AdminUserListDto {
  data!: AdminUserDto[];
  next_cursor!: string | null;
}

export class SuspendDto {
  /** why, for the audit log and the user */
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason!: string;
}

export class ReinstateDto {
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  note!: string;
}

export class PermissionsDto {
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true })
  grant?: string[];

  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true })
  revoke?: string[];
}

export class PlanOverrideDto {
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  plan!: string;
}

export class MaintenanceDto {
  @IsBoolean()
  enabled!: boolean;

  /** shown to everyone else while maintenance is on */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  message?: string;
}

export class MaintenanceStateDto {
  enabled!: boolean;
  message!: string | null;
}

export class AuditQueryDto extends PageQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(40)
  target_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(40)
  actor_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(60)
  action?: string;
}

export class AuditEntryDto {
  id!: string;
  actor_id!: string | null;
  action!: string;
  target_type!: string;
  target_id!: string;
  reason!: string | null;
  data!: Record<string, unknown> | null;
  created_at!: string;
}

export class AuditListDto {
  data!: AuditEntryDto[];
  next_cursor!: string | null;
}
