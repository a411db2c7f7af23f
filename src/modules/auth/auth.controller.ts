import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { RateLimit } from '../../platform/rate-limit/rate-limit.decorator';
import { AccessErrors, AuthErrors } from './auth.errors';
import { AuthService } from './auth.service';
import {
  AcceptedDto,
  EmailDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  RegisteredUserDto,
  ResetPasswordDto,
  TokenDto,
  TokenPairDto,
  VerifiedDto,
} from './dto/auth.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Access.anonymous()
  @Idempotent()
  @ApiOperation({ summary: 'Create an account; a verification mail is sent (link valid 24 h)' })
  @ApiErrors(AuthErrors.emailTaken)
  register(@Body() dto: RegisterDto): Promise<RegisteredUserDto> {
    return this.auth.register(dto);
  }

  @Post('verify-email')
  @HttpCode(HttpStatus.OK)
  @Access.anonymous()
  @ApiOperation({ summary: 'Confirm the email address with the token from the verification mail' })
  @ApiErrors(AuthErrors.invalidOrExpiredToken)
  async verifyEmail(@Body() dto: TokenDto): Promise<VerifiedDto> {
    await this.auth.verifyEmail(dto.token);
    return { email_verified: true };
  }

  @Post('resend-verification')
  @HttpCode(HttpStatus.ACCEPTED)
  @Access.anonymous()
  // forgot-password's per-address budget, shared: what a stranger can have mailed to one address
  @RateLimit('password_reset')
  @ApiOperation({
    summary: 'Send a new verification mail; always 202, whether or not the account exists',
    description:
      'Limited to 3 calls per minute per email address, together with forgot-password, on top of the per-IP budget.',
  })
  async resendVerification(@Body() dto: EmailDto): Promise<AcceptedDto> {
    await this.auth.resendVerification(dto.email);
    return { status: 'accepted' };
  }

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @Access.anonymous({ maintenanceExempt: true })
  @RateLimit('login')
  @ApiOperation({
    summary: 'Sign in: an access token (1 h) and a single-use refresh token',
    description:
      'Checked in this order: failed-login budget of the email (5 per 60 s), credentials, suspension, email verification, maintenance mode (admins may still sign in). Limited to 5 calls per minute per IP.',
  })
  @ApiErrors(
    AuthErrors.tooManyLoginAttempts,
    AuthErrors.invalidCredentials,
    AccessErrors.accountSuspended,
    AuthErrors.emailVerificationPending,
  )
  login(@Body() dto: LoginDto): Promise<TokenPairDto> {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @Access.anonymous({ maintenanceExempt: true })
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair (rotation)',
    description:
      'Each refresh token works once. Presenting one that was already rotated (a stolen copy) revokes the whole session. A session ends 90 days after its login (LIMIT_SESSION_MAX_DAYS), however often it is refreshed: then token_expired, and the user signs in again.',
  })
  @ApiErrors(AccessErrors.unauthenticated, AccessErrors.tokenExpired, AccessErrors.accountSuspended)
  refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refresh_token);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Access.user(null)
  @ApiOperation({
    summary: 'End the credential of the request: its session, or the personal access token itself',
    description:
      'With an access token: the session ends (its refresh tokens and access tokens stop working). With a personal access token: that token is revoked. Any token may end itself, whatever its scopes.',
  })
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.auth.logout(principal);
  }

  @Post('forgot-password')
  @HttpCode(HttpStatus.ACCEPTED)
  @Access.anonymous()
  @RateLimit('password_reset')
  @ApiOperation({
    summary: 'Mail a password-reset link (24 h); always 202',
    description:
      'Limited to 3 calls per minute per email address, together with resend-verification, on top of the per-IP budget.',
  })
  async forgotPassword(@Body() dto: EmailDto): Promise<AcceptedDto> {
    await this.auth.forgotPassword(dto.email);
    return { status: 'accepted' };
  }

  @Post('reset-password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Access.anonymous()
  @ApiOperation({
    summary:
      'Set a new password with the mailed token; signs out every session and revokes every personal access token',
  })
  @ApiErrors(AuthErrors.invalidOrExpiredToken)
  async resetPassword(@Body() dto: ResetPasswordDto): Promise<void> {
    await this.auth.resetPassword(dto);
  }
}
