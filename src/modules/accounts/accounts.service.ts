import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import type { Tx } from '../../platform/database/database';
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
    const user = await this.repo.profile(userId);
    if (!user) throw new AppError(AccountsErrors.userNotFound);
    const verified = user.email_verified_at !== null;
    return {
      id: user.id,
      email: user.email,
      display_name: user.display_name,
      role: user.role,
      status: user.status,
      email_verified: verified,
      plan: { id: user.plan_id, name: user.plan_name },
      permissions: effectivePermissions(verified, user.permissions),
      version: user.version,
      created_at: user.created_at.toISOString(),
    };
  }

  /**
   * Locks the user row for the caller's transaction; with `expectedVersion` (If-Match) refuses
   * with stale_version unless it is the current version.
   */
  async lockUser(tx: Tx, userId: string, expectedVersion?: number): Promise<void> {
    const outcome = await this.repo.lockVersion(tx, userId, expectedVersion);
    if (outcome === 'missing') throw new AppError(AccountsErrors.userNotFound);
    if (outcome === 'stale') throw new AppError(GeneralErrors.staleVersion);
  }

  /**
   * Applies every change of the request in one transaction, or none. The password work (argon2)
   * is done before the user row is locked, so a slow hash never holds up the user's other writes.
   */
  async update(principal: Principal, dto: UpdateMeDto, expectedVersion?: number): Promise<MeDto> {
    const password =
      dto.new_password === undefined
        ? undefined
        : await this.auth.preparePasswordChange(principal, dto.current_password ?? '', dto.new_password);
    await this.repo.transaction(async (tx) => {
      await this.lockUser(tx, principal.userId, expectedVersion);
      if (password) await this.auth.applyPasswordChange(tx, principal, password);
      if (dto.display_name !== undefined) {
        await this.repo.updateDisplayName(tx, principal.userId, dto.display_name, this.clock.now());
      }
    });
    return this.me(principal.userId);
  }

  /** Whether the user holds a permission now (defaults for verified users, admin overrides). */
  async hasPermission(userId: string, permission: Permission, tx?: Tx): Promise<boolean> {
    const user = await this.repo.findProfile(userId, tx);
    return (
      !!user && effectivePermissions(user.emailVerifiedAt !== null, user.permissions).includes(permission)
    );
  }
}
