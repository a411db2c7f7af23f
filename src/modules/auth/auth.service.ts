import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { DEFAULT_TOKEN_SCOPES, Principal, type Scope } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { dummyPasswordHash, hashPassword, sha256, verifyPassword } from '../../platform/crypto/secrets';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { MaintenanceService } from '../../platform/maintenance/maintenance.service';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import type { Tx } from '../../platform/database/database';
import { EventStreamsService } from '../../platform/realtime/event-streams.service';
import { AccessErrors, AuthErrors } from './auth.errors';
import { AuthRepository, CredentialRow } from './auth.repository';
import type { AccessTokenDto, CreateAccessTokenDto, CreatedAccessTokenDto } from './dto/access-token.dto';
import type {
  LoginDto,
  RegisterDto,
  RegisteredUserDto,
  ResetPasswordDto,
  TokenPairDto,
} from './dto/auth.dto';
import { TokenMails } from './token-mails';
import { TokenService } from './token.service';

export interface PreparedPasswordChange {
  /** the stored hash the current password was checked against */
  checkedHash: string;
  newHash: string;
}

const toRegistered = (u: CredentialRow): RegisteredUserDto => ({
  id: u.id,
  email: u.email,
  display_name: u.displayName,
  email_verified: u.emailVerifiedAt !== null,
  created_at: u.createdAt.toISOString(),
});

@Injectable()
export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly tokens: TokenService,
    private readonly tokenMails: TokenMails,
    private readonly maintenance: MaintenanceService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly streams: EventStreamsService,
  ) {}

  // ---- registration and verification ------------------------------------------------------

  async register(dto: RegisterDto): Promise<RegisteredUserDto> {
    const passwordHash = await hashPassword(dto.password);
    const now = this.clock.now();
    const user = await this.repo.transaction(async (tx) => {
      const created = await this.repo.createUser(tx, {
        email: dto.email,
        passwordHash,
        displayName: dto.display_name,
        now,
      });
      await this.sendVerification(tx, created, now);
      return created;
    });
    return toRegistered(user);
  }

  async verifyEmail(token: string): Promise<void> {
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      const userId = await this.repo.consumeEmailToken(tx, 'verify_email', sha256(token), now);
      if (!userId) throw new AppError(AuthErrors.invalidOrExpiredToken);
      await this.repo.markVerified(tx, userId, now);
    });
  }

  /** Always accepted, whether or not the address has an account (no enumeration). */
  async resendVerification(email: string): Promise<void> {
    const user = await this.repo.findUserByEmail(email);
    if (!user || user.emailVerifiedAt) return;
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      await this.repo.invalidateEmailTokens(tx, user.id, 'verify_email', now);
      await this.sendVerification(tx, user, now);
    });
  }

  private async sendVerification(tx: Tx, user: CredentialRow, now: Date): Promise<void> {
    await this.tokenMails.queue(tx, user.id, 'verify_email', now);
  }

  // ---- login, refresh, logout ---------------------------------------------------------------

  /**
   * Checks, in order: the failed-login budget of the email (reserved atomically before the
   * password is checked, so concurrent guesses cannot exceed it), the credentials, suspension,
   * email verification, maintenance mode.
   */
  async login(dto: LoginDto): Promise<TokenPairDto> {
    const now = this.clock.now();
    await this.reservePasswordCheck(dto.email, now);

    const user = await this.repo.findUserByEmail(dto.email);
    const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), dto.password);
    if (!user || !valid) throw new AppError(AuthErrors.invalidCredentials);
    await this.repo.clearLoginFailures(dto.email);

    if (user.status === 'suspended') throw new AppError(AccessErrors.accountSuspended);
    if (!user.emailVerifiedAt) throw new AppError(AuthErrors.emailVerificationPending);
    if (user.role !== 'admin') await this.maintenance.assertOpen();

    const refresh = this.tokens.newRefreshToken();
    const sessionId = await this.repo.createSession(user.id, refresh.hash, now, refresh.expiresAt);
    return this.tokenPair(user.id, sessionId, refresh.token);
  }

  /**
   * Rotates the refresh token; presenting an already-rotated one revokes its whole family. Sliding
   * (each token lives LIMIT_REFRESH_TOKEN_DAYS) within an absolute lifetime: past
   * LIMIT_SESSION_MAX_DAYS from its login a session's refresh is token_expired, as for an old token.
   */
  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const now = this.clock.now();
    const next = this.tokens.newRefreshToken();
    const result = await this.repo.rotateRefreshToken(
      sha256(refreshToken),
      next.hash,
      now,
      next.expiresAt,
      this.config.limits.sessionMaxDays * 86_400,
    );
    switch (result.outcome) {
      case 'reused':
        await this.repo.revokeSession(result.sessionId, 'refresh_token_reuse', now);
        // the family is someone else's too now: its live streams end at once, not at a heartbeat
        await this.streams.endStreams(
          { userId: result.userId, sessionId: result.sessionId },
          'token_revoked',
        );
        throw new AppError(AccessErrors.unauthenticated);
      case 'expired':
        throw new AppError(AccessErrors.tokenExpired);
      case 'invalid':
        throw new AppError(AccessErrors.unauthenticated);
    }
    if (result.status === 'suspended') throw new AppError(AccessErrors.accountSuspended);
    return this.tokenPair(result.userId, result.sessionId, next.token);
  }

  /**
   * Ends the credential the request came with: an access token's session (its refresh family), or
   * the personal access token itself, so a script that logs out cannot keep using its token.
   */
  async logout(principal: Principal): Promise<void> {
    const now = this.clock.now();
    if (principal.sessionId) await this.repo.revokeSession(principal.sessionId, 'logout', now);
    if (principal.tokenId)
      await this.repo.revokePersonalAccessToken(principal.userId, principal.tokenId, now);
    await this.streams.endStreams(
      { userId: principal.userId, sessionId: principal.sessionId, tokenId: principal.tokenId },
      'logged_out',
    );
  }

  /**
   * The failed-password budget of an account, shared by login and PATCH /me's current_password:
   * reserves one check (one upsert, before the password is checked, so concurrent guesses cannot
   * exceed it) and answers too_many_login_attempts once the window's budget is spent, whatever the
   * password. A correct password clears it (clearLoginFailures).
   */
  private async reservePasswordCheck(email: string, now: Date): Promise<void> {
    const window = this.config.limits.loginFailureWindowSeconds;
    const { attempts, windowStart } = await this.repo.reserveLoginAttempt(
      email,
      now,
      addSeconds(now, -window),
    );
    if (attempts > this.config.limits.loginFailures) {
      const retryAfter = Math.max(
        1,
        Math.ceil((windowStart.getTime() + window * 1000 - now.getTime()) / 1000),
      );
      throw new AppError(AuthErrors.tooManyLoginAttempts, {
        context: { retry_after: retryAfter },
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
  }

  private tokenPair(userId: string, sessionId: string, refreshToken: string): TokenPairDto {
    const access = this.tokens.issueAccessToken(userId, sessionId);
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
    };
  }

  // ---- passwords ------------------------------------------------------------------------------

  /** Always accepted (no enumeration); a reset mail goes out only to an existing account. */
  async forgotPassword(email: string): Promise<void> {
    const user = await this.repo.findUserByEmail(email);
    if (!user) return;
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      await this.repo.invalidateEmailTokens(tx, user.id, 'reset_password', now);
      await this.tokenMails.queue(tx, user.id, 'reset_password', now);
    });
  }

  /**
   * Sets the new password and ends every credential of the account: sessions and personal access
   * tokens (a reset is how an account is recovered, so whatever a thief created must stop).
   */
  async resetPassword(dto: ResetPasswordDto): Promise<void> {
    const passwordHash = await hashPassword(dto.password);
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      const userId = await this.repo.consumeEmailToken(tx, 'reset_password', sha256(dto.token), now);
      if (!userId) throw new AppError(AuthErrors.invalidOrExpiredToken);
      await this.repo.setPassword(tx, userId, passwordHash, now);
      // following the emailed link proves the address too
      await this.repo.markVerified(tx, userId, now);
      await this.repo.revokeUserSessions(tx, userId, 'password_reset', now);
      await this.repo.revokeUserPersonalAccessTokens(tx, userId, now);
      await this.streams.endStreams({ userId }, 'credentials_changed', tx);
    });
  }

  /**
   * PATCH /me with new_password, step 1, before any lock is taken: checks, in order, that a
   * signed-in session asks (forbidden for a personal access token: a leaked token must not be a
   * way to guess the password and take the account), the account's failed-password budget (the
   * one login spends), the current password; then hashes the new one (argon2, the slow part).
   */
  async preparePasswordChange(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
  ): Promise<PreparedPasswordChange> {
    if (principal.via !== 'session') {
      throw new AppError(GeneralErrors.forbidden, {
        message: 'Changing the password needs a signed-in session; a personal access token cannot.',
      });
    }
    const user = await this.repo.findUserById(principal.userId);
    if (!user) throw new AppError(AuthErrors.currentPasswordIncorrect);
    await this.reservePasswordCheck(user.email, this.clock.now());
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      throw new AppError(AuthErrors.currentPasswordIncorrect);
    }
    await this.repo.clearLoginFailures(user.email);
    return { checkedHash: user.passwordHash, newHash: await hashPassword(newPassword) };
  }

  /**
   * Step 2, inside the caller's transaction: stores the new hash only if the password is still
   * the one that was checked (a concurrent change wins, and this one is answered
   * current_password_incorrect), then ends every other credential: the other sessions and every
   * personal access token (only a session changes a password: step 1).
   */
  async applyPasswordChange(tx: Tx, principal: Principal, change: PreparedPasswordChange): Promise<void> {
    const now = this.clock.now();
    if (!(await this.repo.replacePassword(tx, principal.userId, change.checkedHash, change.newHash, now))) {
      throw new AppError(AuthErrors.currentPasswordIncorrect);
    }
    await this.repo.revokeUserSessions(tx, principal.userId, 'password_changed', now, principal.sessionId);
    await this.repo.revokeUserPersonalAccessTokens(tx, principal.userId, now, principal.tokenId);
    const except = { sessionId: principal.sessionId, tokenId: principal.tokenId };
    await this.streams.endStreams({ userId: principal.userId, except }, 'credentials_changed', tx);
  }

  // ---- personal access tokens -------------------------------------------------------------

  async createAccessToken(principal: Principal, dto: CreateAccessTokenDto): Promise<CreatedAccessTokenDto> {
    const days = dto.expires_in_days ?? this.config.limits.patDefaultDays;
    if (days > this.config.limits.patMaxDays) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: {
          expires_in_days: [`expires_in_days must not be greater than ${this.config.limits.patMaxDays}`],
        },
      });
    }
    const scopes: readonly Scope[] = dto.scopes ?? DEFAULT_TOKEN_SCOPES;
    // Only a signed-in person mints tokens: a token minting tokens would outlive its own
    // revocation and expiry through its children. And admin scope only for admins.
    if (principal.via !== 'session') throw new AppError(GeneralErrors.forbidden);
    if (scopes.includes('admin') && principal.role !== 'admin') throw new AppError(GeneralErrors.forbidden);

    const now = this.clock.now();
    const secret = this.tokens.newPersonalAccessToken();
    const row = await this.repo.createPersonalAccessToken({
      userId: principal.userId,
      name: dto.name,
      tokenHash: secret.hash,
      prefix: secret.prefix,
      scopes: [...scopes],
      now,
      expiresAt: addSeconds(now, days * 86_400),
    });
    return { ...this.toAccessTokenDto(row), token: secret.token };
  }

  async listAccessTokens(principal: Principal, query: PageQueryDto): Promise<Page<AccessTokenDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.listPersonalAccessTokens(
      principal.userId,
      this.clock.now(),
      limit + 1,
      decodeCursor(query.cursor),
    );
    return toPage(rows, limit, byCreation, (r) => this.toAccessTokenDto(r));
  }

  async revokeAccessToken(principal: Principal, id: string): Promise<void> {
    if (!(await this.repo.revokePersonalAccessToken(principal.userId, id, this.clock.now()))) {
      throw new AppError(AuthErrors.accessTokenNotFound);
    }
    await this.streams.endStreams({ userId: principal.userId, tokenId: id }, 'token_revoked');
  }

  private toAccessTokenDto(r: {
    id: string;
    name: string;
    prefix: string;
    scopes: string[];
    createdAt: Date;
    expiresAt: Date;
    lastUsedAt: Date | null;
  }): AccessTokenDto {
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scopes: r.scopes,
      created_at: r.createdAt.toISOString(),
      expires_at: r.expiresAt.toISOString(),
      last_used_at: r.lastUsedAt?.toISOString() ?? null,
    };
  }

  // ---- bootstrap --------------------------------------------------------------------------

  /** Creates the bootstrap admin if the address is free; else tells who holds it. */
  async ensureAdmin(email: string, password: string): Promise<'created' | 'user' | 'admin'> {
    return this.repo.ensureAdmin(email, await hashPassword(password), this.clock.now());
  }
}
