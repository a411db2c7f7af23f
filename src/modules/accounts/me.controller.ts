import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { AuthErrors } from '../auth/auth.errors';
import { AccountsService } from './accounts.service';
import { MeDto, UpdateMeDto } from './dto/me.dto';

@ApiTags('account')
@Controller('me')
export class MeController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @Access.user('account:read')
  @ETagged()
  @ApiOperation({ summary: "The caller's account: profile, plan, permissions" })
  me(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.accounts.me(principal.userId);
  }

  @Patch()
  @Access.user('account:write')
  @ETagged()
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Update the display name and/or the password',
    description:
      'A new password needs current_password and signs out the caller’s other sessions. All or nothing.',
  })
  @ApiErrors(AuthErrors.currentPasswordIncorrect)
  update(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateMeDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<MeDto> {
    return this.accounts.update(principal, dto, ifMatch);
  }
}
