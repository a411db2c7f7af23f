import { Injectable } from '@nestjs/common';
import { createSigner, createVerifier } from 'fast-jwt';
import { AppConfig } from '../../config/config';
import { Principal, PrincipalResolver, type Scope } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppSecret } from '../../platform/crypto/app-secret';
import { randomToken, sha256 } from '../../platform/crypto/secrets';
import { AppError } from '../../platform/errors/app-error';
import { AccessErrors } from './auth.errors';
import { AuthRepository } from './auth.repository';

export const PAT_PREFIX = 'pat_';
export const REFRESH_PREFIX = 'rt_';

interface AccessClaims {
  sub: string;
  sid: string;
  typ: 'access';
  iat: number;
  exp: number;
}

/**
 * Issues access tokens (JWT, 1 h, bound to a session) and resolves any bearer token to a
 * principal. Every request re-reads the user and the session or token row, so suspension,
 * logout and revocation take effect on the very next request.
 */
@Injectable()
export class TokenService extends PrincipalResolver {
  // HS256 with fast-jwt (jsonwebtoken measured ~50× slower per verification here). Issue and
  // expiry times come from the application clock, so the lifetime check is ours.
  private readonly sign: (payload: AccessClaims) => string;
  private readonly verify: (token: string) => AccessClaims;

  constructor(
    private readonly repo: AuthRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    secret: AppSecret,
  ) {
    super();
    this.sign = createSigner({ key: secret.value, algorithm: 'HS256', noTimestamp: true });
    this.verify = createVerifier({
      key: secret.value,
      algorithms: ['HS256'],
      ignoreExpiration: true,
      ignoreNotBefore: true,
      requiredClaims: ['sub', 'sid', 'typ', 'exp'],
    }) as (token: string) => AccessClaims;
  }

  issueAccessToken(userId: string, sessionId: string): { token: string; expiresIn: number } {
    const expiresIn = this.config.limits.accessTokenSeconds;
    const iat = Math.floor(this.clock.nowMs() / 1000);
    const token = this.sign({ sub: userId, sid: sessionId, typ: 'access', iat, exp: iat + expiresIn });
    return { token, expiresIn };
  }

  newRefreshToken(): { token: string; hash: string; expiresAt: Date } {
    const token = REFRESH_PREFIX + randomToken(32);
    return {
      token,
      hash: sha256(token),
      expiresAt: addSeconds(this.clock.now(), this.config.limits.refreshTokenDays * 86_400),
    };
  }

  newPersonalAccessToken(): { token: string; hash: string; prefix: string } {
    const token = PAT_PREFIX + randomToken(32);
    return { token, hash: sha256(token), prefix: token.slice(0, 10) };
  }

  async resolve(token: string): Promise<Principal> {
    return token.startsWith(PAT_PREFIX)
      ? this.resolvePersonalAccessToken(token)
      : this.resolveAccessToken(token);
  }

  private async resolveAccessToken(token: string): Promise<Principal> {
    let claims: AccessClaims;
    try {
      claims = this.verify(token);
    } catch {
      throw new AppError(AccessErrors.unauthenticated);
    }
    if (claims.typ !== 'access' || typeof claims.sid !== 'string')
      throw new AppError(AccessErrors.unauthenticated);
    if (claims.exp * 1000 <= this.clock.nowMs()) throw new AppError(AccessErrors.tokenExpired);
    const row = await this.repo.sessionPrincipal(claims.sid, claims.sub);
    if (!row || row.revokedAt) throw new AppError(AccessErrors.unauthenticated);
    return {
      userId: claims.sub,
      role: row.role,
      status: row.status,
      via: 'session',
      sessionId: claims.sid,
      scopes: null,
      expiresAt: new Date(claims.exp * 1000),
    };
  }

  private async resolvePersonalAccessToken(token: string): Promise<Principal> {
    const row = await this.repo.tokenPrincipal(sha256(token));
    if (!row || row.revokedAt) throw new AppError(AccessErrors.unauthenticated);
    const now = this.clock.now();
    if (row.expiresAt <= now) throw new AppError(AccessErrors.tokenExpired);
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
      await this.repo.touchPersonalAccessToken(row.id, now, addSeconds(now, -60));
    }
    return {
      userId: row.userId,
      role: row.role,
      status: row.status,
      via: 'personal_access_token',
      tokenId: row.id,
      scopes: row.scopes as Scope[],
      expiresAt: row.expiresAt,
    };
  }
}
