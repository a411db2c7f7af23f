import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { AuthService } from '../auth/auth.service';
import { AccountsErrors } from './accounts.errors';
import { AccountsRepository } from './accounts.repository';
import type { MeDto, UpdateMeDto } from './dto/me.dto';
import { effectivePermissions, type Permission } from './permissions';

@Injectable()
export class AccountsService {
  constructor(
    private readonly repo: AccountsRepository,
    private readonly auth: AuthService,
    private readonly clock: Clock,
  ) {}

  async me(userId: string): Promise<MeDto> {
    const user = await this.repo.findProfile(userId);
    if (!user) throw new AppError(AccountsErrors.userNotFound);
    return {
      id: user.id,
      email: user.email,
      display_name: user.displayName,
      role: user.role,
      status: user.status,
      email_verified: user.emailVerifiedAt !== null,
      plan: { id: user.plan.id, name: user.plan.name },
      permissions: effectivePermissions(user.emailVerifiedAt !== null, user.permissions),
      created_at: user.createdAt.toISOString(),
    };
  }

  /** Applies every change of the request in one transaction, or none. */
  async update(principal: Principal, dto: UpdateMeDto): Promise<MeDto> {
    await this.repo.transaction(async (tx) => {
      if (dto.new_password !== undefined) {
        await this.auth.changePassword(tx, principal, dto.current_password ?? '', dto.new_password);
      }
      if (dto.display_name !== undefined) {
        await this.repo.updateDisplayName(tx, principal.userId, dto.display_name, this.clock.now());
      }
    });
    return this.me(principal.userId);
  }

  /** Whether the user holds a permission now (defaults for verified users, admin overrides). */
  async hasPermission(userId: string, permission: Permission): Promise<boolean> {
    const user = await this.repo.findProfile(userId);
    return (
      !!user && effectivePermissions(user.emailVerifiedAt !== null, user.permissions).includes(permission)
    );
  }
}
