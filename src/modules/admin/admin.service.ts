import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import { AuditRepository } from '../../platform/audit/audit.repository';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { MaintenanceService } from '../../platform/maintenance/maintenance.service';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import { EventStreamsService } from '../../platform/realtime/event-streams.service';
import { AccountsErrors } from '../accounts/accounts.errors';
import { AccountsService } from '../accounts/accounts.service';
import { effectivePermissions } from '../accounts/permissions';
import { BillingService } from '../billing/billing.service';
import { AdminErrors } from './admin.errors';
import { AdminRepository, AdminUserRow } from './admin.repository';
import type {
  AdminUserDto,
  AuditEntryDto,
  AuditQueryDto,
  ListUsersQueryDto,
  MaintenanceDto,
  MaintenanceStateDto,
  PermissionsDto,
} from './dto/admin.dto';

const toUserDto = (u: AdminUserRow): AdminUserDto => ({
  id: u.id,
  email: u.email,
  display_name: u.displayName,
  role: u.role,
  status: u.status,
  email_verified: u.emailVerifiedAt !== null,
  plan_id: u.planId,
  permissions: effectivePermissions(u.emailVerifiedAt !== null, u.permissions),
  suspended_at: u.suspendedAt?.toISOString() ?? null,
  suspended_reason: u.suspendedReason,
  artist: u.artist,
  version: u.version,
  created_at: u.createdAt.toISOString(),
});

@Injectable()
export class AdminService {
  constructor(
    private readonly repo: AdminRepository,
    private readonly audit: AuditRepository,
    private readonly billing: BillingService,
    private readonly accounts: AccountsService,
    private readonly maintenance: MaintenanceService,
    private readonly clock: Clock,
    private readonly streams: EventStreamsService,
  ) {}

  async listUsers(query: ListUsersQueryDto): Promise<Page<AdminUserDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.listUsers(
      { status: query.status, q: query.q },
      limit + 1,
      decodeCursor(query.cursor),
    );
    return toPage(rows, limit, byCreation, toUserDto);
  }

  async getUser(id: string): Promise<AdminUserDto> {
    const user = await this.repo.findUser(id);
    if (!user) throw new AppError(AccountsErrors.userNotFound);
    return toUserDto(user);
  }

  /**
   * Suspension takes effect on the user's very next request (every request re-reads the status),
   * and ends the user's event streams on every instance.
   * Suspending an already suspended user changes nothing and logs nothing.
   */
  suspend(actor: Principal, id: string, reason: string, ifMatch?: number): Promise<AdminUserDto> {
    return this.changeStatus(actor, id, 'active', 'suspended', reason, 'user.suspend', ifMatch);
  }

  reinstate(actor: Principal, id: string, note: string, ifMatch?: number): Promise<AdminUserDto> {
    return this.changeStatus(actor, id, 'suspended', 'active', note, 'user.reinstate', ifMatch);
  }

  private async changeStatus(
    actor: Principal,
    id: string,
    from: 'active' | 'suspended',
    to: 'active' | 'suspended',
    why: string,
    action: string,
    ifMatch: number | undefined,
  ): Promise<AdminUserDto> {
    if (actor.userId === id) throw new AppError(AdminErrors.cannotModifySelf);
    const now = this.clock.now();
    return this.repo.transaction(async (tx) => {
      await this.accounts.lockUser(tx, id, ifMatch);
      if (await this.repo.setStatus(tx, id, from, to, to === 'suspended' ? why : null, now)) {
        await this.audit.record(tx, {
          actorId: actor.userId,
          action,
          targetType: 'user',
          targetId: id,
          reason: why,
          at: now,
        });
        if (to === 'suspended') await this.streams.endStreams({ userId: id }, 'account_suspended', tx);
      }
      return toUserDto((await this.repo.findUser(id, tx))!);
    });
  }

  async setPermissions(
    actor: Principal,
    id: string,
    dto: PermissionsDto,
    ifMatch?: number,
  ): Promise<AdminUserDto> {
    const grant = dto.grant ?? [];
    const revoke = dto.revoke ?? [];
    const both = grant.filter((p) => revoke.includes(p));
    if (both.length) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { grant: [`cannot both grant and revoke: ${both.join(', ')}`] },
      });
    }
    const now = this.clock.now();
    return this.repo.transaction(async (tx) => {
      await this.accounts.lockUser(tx, id, ifMatch);
      await this.repo.setPermissions(tx, id, grant, revoke, now);
      await this.audit.record(tx, {
        actorId: actor.userId,
        action: 'user.permissions',
        targetType: 'user',
        targetId: id,
        data: { grant, revoke },
        at: now,
      });
      return toUserDto((await this.repo.findUser(id, tx))!);
    });
  }

  /** Support override of a user's plan, through the same path as Stripe's subscription events. */
  async setPlan(actor: Principal, id: string, planId: string, ifMatch?: number): Promise<AdminUserDto> {
    const now = this.clock.now();
    return this.repo.transaction(async (tx) => {
      await this.accounts.lockUser(tx, id, ifMatch);
      const previous = await this.billing.changePlan(tx, id, planId);
      await this.audit.record(tx, {
        actorId: actor.userId,
        action: 'user.plan',
        targetType: 'user',
        targetId: id,
        data: { from: previous, to: planId },
        at: now,
      });
      return toUserDto((await this.repo.findUser(id, tx))!);
    });
  }

  async auditLog(query: AuditQueryDto): Promise<Page<AuditEntryDto>> {
    const limit = pageLimit(query);
    const rows = await this.audit.list(
      { targetId: query.target_id, actorId: query.actor_id, action: query.action },
      limit + 1,
      decodeCursor(query.cursor),
    );
    return toPage(rows, limit, byCreation, (r) => ({
      id: r.id,
      actor_id: r.actorId,
      action: r.action,
      target_type: r.targetType,
      target_id: r.targetId,
      reason: r.reason,
      data: (r.data as Record<string, unknown> | null) ?? null,
      created_at: r.createdAt.toISOString(),
    }));
  }

  maintenanceState(): Promise<MaintenanceStateDto> {
    return this.maintenance.state();
  }

  async setMaintenance(actor: Principal, dto: MaintenanceDto): Promise<MaintenanceStateDto> {
    const state = { enabled: dto.enabled, message: dto.message ?? null };
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      await this.maintenance.write(tx, state, actor.userId);
      await this.audit.record(tx, {
        actorId: actor.userId,
        action: dto.enabled ? 'maintenance.on' : 'maintenance.off',
        targetType: 'platform',
        targetId: 'maintenance',
        reason: state.message,
        at: now,
      });
    });
    this.maintenance.remember(state);
    return state;
  }
}
