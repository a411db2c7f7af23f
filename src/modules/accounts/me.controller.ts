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
      'All or nothing. The display name may be changed with a personal access token holding `account:write`; the password only from a signed-in session (a personal access token gets `403 forbidden`, whatever its scopes). A new password needs current_password and signs out the caller’s other sessions and every personal access token. Checked in order: `forbidden` (a personal access token), `too_many_login_attempts` (the failed-password budget login spends, LIMIT_LOGIN_FAILURES per 60 s per account, reserved before the check: once spent even the right password is refused, with `Retry-After`), `current_password_incorrect` (counts against that budget; a right one clears it), `stale_version`. The email address cannot be changed through the API (an `email` member is `validation_failed`).',
  })
  @ApiErrors(AuthErrors.currentPasswordIncorrect, AuthErrors.tooManyLoginAttempts)
  update(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: UpdateMeDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<MeDto> {
    return this.accounts.update(principal, dto, ifMatch);
  }
}
