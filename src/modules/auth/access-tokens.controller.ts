import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { AuthErrors } from './auth.errors';
import { AuthService } from './auth.service';
import { AccessTokenListDto, CreateAccessTokenDto, CreatedAccessTokenDto } from './dto/access-token.dto';

@ApiTags('account')
@Controller('me/access-tokens')
export class AccessTokensController {
  constructor(private readonly auth: AuthService) {}

  @Post()
  @Access.user('account:write')
  @Idempotent({
    secrets: {
      fields: ['token'],
      replay: {
        refuse:
          'This Idempotency-Key already created a personal access token, whose value is shown only once and is not kept for replays. The token exists (GET /me/access-tokens lists it by name and prefix): use it, or revoke it and create another with a new key.',
      },
    },
  })
  @ApiOperation({
    summary: 'Create a personal access token (shown once)',
    description:
      'Default expiry 90 days (max 365); default scopes: every scope except `admin`. Only a signed-in session creates tokens: a personal access token cannot (`forbidden`), whatever its scopes. Requesting `admin` as a non-admin is `forbidden`. With an `Idempotency-Key`, a retry of a request that created its token is refused with `400 idempotency_key_reused` (the token is shown once and never stored for replays: find it in GET /me/access-tokens, or revoke it and use a new key); a retry of a refused request (`forbidden`) replays that refusal.',
  })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateAccessTokenDto,
  ): Promise<CreatedAccessTokenDto> {
    return this.auth.createAccessToken(principal, dto);
  }

  @Get()
  @Access.user('account:read')
  @ApiOperation({ summary: "The caller's live personal access tokens (without their values)" })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<AccessTokenListDto> {
    return this.auth.listAccessTokens(principal, query);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Access.user('account:write')
  @ApiOperation({ summary: 'Revoke a personal access token; it stops working on the next request' })
  @ApiErrors(AuthErrors.accessTokenNotFound)
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.auth.revokeAccessToken(principal, id);
  }
}
