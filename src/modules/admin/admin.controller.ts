import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { IdPipe } from '../../platform/http/id.pipe';
import { AccountsErrors } from '../accounts/accounts.errors';
import { BillingErrors } from '../billing/billing.errors';
import { AdminErrors } from './admin.errors';
import { AdminService } from './admin.service';
import {
  AdminUserDto,
  AdminUserListDto,
  AuditListDto,
  AuditQueryDto,
  ListUsersQueryDto,
  MaintenanceDto,
  MaintenanceStateDto,
  PermissionsDto,
  PlanOverrideDto,
  ReinstateDto,
  SuspendDto,
} from './dto/admin.dto';

/** Admins only: everyone else is answered route_not_found, as if these routes did not exist. */
@ApiTags('admin')
@Controller('admin')
@Access.admin()
@ETagged()
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('users')
  @ApiOperation({ summary: 'Users, newest first; filter by status, search email / display name' })
  listUsers(@Query() query: ListUsersQueryDto): Promise<AdminUserListDto> {
    return this.admin.listUsers(query);
  }

  @Get('users/:id')
  @ApiOperation({ summary: 'One user with status, plan and permissions' })
  @ApiErrors(AccountsErrors.userNotFound)
  getUser(@Param('id', IdPipe) id: string): Promise<AdminUserDto> {
    return this.admin.getUser(id);
  }

  @Post('users/:id/suspend')
  @AcceptsIfMatch()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Suspend a user (audit-logged); every request of theirs is refused from the next one on',
  })
  @ApiErrors(AdminErrors.cannotModifySelf, AccountsErrors.userNotFound)
  suspend(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: SuspendDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<AdminUserDto> {
    return this.admin.suspend(actor, id, dto.reason, ifMatch);
  }

  @Post('users/:id/reinstate')
  @AcceptsIfMatch()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Reinstate a suspended user (audit-logged)' })
  @ApiErrors(AdminErrors.cannotModifySelf, AccountsErrors.userNotFound)
  reinstate(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: ReinstateDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<AdminUserDto> {
    return this.admin.reinstate(actor, id, dto.note, ifMatch);
  }

  @Put('users/:id/permissions')
  @AcceptsIfMatch()
  @ApiOperation({ summary: 'Grant and/or revoke permissions (e.g. backstage_requests.create)' })
  @ApiErrors(AccountsErrors.userNotFound)
  setPermissions(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: PermissionsDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<AdminUserDto> {
    return this.admin.setPermissions(actor, id, dto, ifMatch);
  }

  @Put('users/:id/plan')
  @AcceptsIfMatch()
  @ApiOperation({ summary: "Support override of a user's plan" })
  @ApiErrors(AccountsErrors.userNotFound, BillingErrors.planNotFound)
  setPlan(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: PlanOverrideDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<AdminUserDto> {
    return this.admin.setPlan(actor, id, dto.plan, ifMatch);
  }

  @Get('audit-log')
  @ApiOperation({ summary: 'Who did what to whom, when and why; newest first' })
  auditLog(@Query() query: AuditQueryDto): Promise<AuditListDto> {
    return this.admin.auditLog(query);
  }

  @Get('maintenance')
  @ApiOperation({ summary: 'Whether maintenance mode is on' })
  maintenance(): Promise<MaintenanceStateDto> {
    return this.admin.maintenanceState();
  }

  @Put('maintenance')
  @ApiOperation({
    summary: 'Switch maintenance mode; everyone but admins then gets 503 maintenance_mode (health stays up)',
  })
  setMaintenance(
    @CurrentPrincipal() actor: Principal,
    @Body() dto: MaintenanceDto,
  ): Promise<MaintenanceStateDto> {
    return this.admin.setMaintenance(actor, dto);
  }
}
