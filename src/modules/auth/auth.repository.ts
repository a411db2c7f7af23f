import { Injectable } from '@nestjs/common';
import { olderThan } from '../../platform/pagination/pagination';
import { Prisma, type EmailTokenPurpose, type PersonalAccessToken } from '@prisma/client';
import { addSeconds } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';
import { AuthErrors } from './auth.errors';

export interface CredentialRow {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  emailVerifiedAt: Date | null;
  createdAt: Date;
}

export interface SessionPrincipalRow {
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  revokedAt: Date | null;
}

export interface TokenPrincipalRow
  extends Pick<PersonalAccessToken, 'id' | 'userId' | 'scopes' | 'expiresAt' | 'revokedAt' | 'lastUsedAt'> {
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
}

/** Credentials, sessions, one-time mail tokens, failed-login counters, personal access tokens. */
@Injectable()
export class AuthRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** The unique index on email decides between concurrent registrations. */
  async createUser(
    tx: Tx,
    data: {
      email: string;
      passwordHash: string;
      displayName: string;
      now: Date;
      role?: 'user' | 'admin';
      verified?: boolean;
    },
  ): Promise<CredentialRow> {
    try {
      return await tx.user.create({
        data: {
          id: newId('usr'),
          email: data.email,
          passwordHash: data.passwordHash,
          displayName: data.displayName,
          role: data.role ?? 'user',
          emailVerifiedAt: data.verified ? data.now : null,
          createdAt: data.now,
          updatedAt: data.now,
        },
      });
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002')
        throw new AppError(AuthErrors.emailTaken);
      throw e;
    }
  }

  findUserByEmail(email: string): Promise<CredentialRow | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  findUserById(id: string): Promise<CredentialRow | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  async setPassword(tx: Tx, userId: string, passwordHash: string, now: Date): Promise<void> {
    await tx.user.update({
      where: { id: userId },
      data: { passwordHash, updatedAt: now, version: { increment: 1 } },
    });
  }

  /** Sets a new password hash only if the stored one is still `expectedHash`; true when it did. */
  async replacePassword(
    tx: Tx,
    userId: string,
    expectedHash: string,
    passwordHash: string,
    now: Date,
  ): Promise<boolean> {
    const { count } = await tx.user.updateMany({
      where: { id: userId, passwordHash: expectedHash },
      data: { passwordHash, updatedAt: now, version: { increment: 1 } },
    });
    return count === 1;
  }

  async markVerified(tx: Tx, userId: string, now: Date): Promise<void> {
    await tx.user.updateMany({
      where: { id: userId, emailVerifiedAt: null },
      data: { emailVerifiedAt: now, updatedAt: now },
    });
  }

  /**
   * Creates the ADMIN_EMAIL admin, verified, unless an account holds the address: one statement,
   * so instances booting together and a registration racing the boot agree. Returns the role of
   * the account that holds the address now.
   */
  async ensureAdmin(email: string, passwordHash: string, now: Date): Promise<'created' | 'user' | 'admin'> {
    const created = await this.prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO users (id, email, password_hash, display_name, role, status, plan_id, email_verified_at, created_at, updated_at)
      VALUES (${newId('usr')}, ${email}, ${passwordHash}, 'Administrator', 'admin', 'active', 'explorer', ${now}, ${now}, ${now})
      ON CONFLICT (email) DO NOTHING
      RETURNING id`;
    if (created.length) return 'created';
    const existing = await this.prisma.user.findUnique({ where: { email }, select: { role: true } });
    return existing?.role ?? 'user';
  }

  // ---- one-time mail tokens -------------------------------------------------------------

  async createEmailToken(
    tx: Tx,
    userId: string,
    purpose: EmailTokenPurpose,
    tokenHash: string,
    now: Date,
    expiresAt: Date,
  ): Promise<string> {
    const id = newId('etk');
    await tx.emailToken.create({ data: { id, userId, purpose, tokenHash, createdAt: now, expiresAt } });
    return id;
  }

  /**
   * Gives a still-usable mail token its (new) hash, in one statement; returns what the mail
   * needs, or null when the token was used, invalidated or has expired meanwhile.
   */
  async armEmailToken(
    id: string,
    tokenHash: string,
    now: Date,
  ): Promise<{ purpose: EmailTokenPurpose; email: string; displayName: string } | null> {
    const rows = await this.prisma.$queryRaw<
      { purpose: EmailTokenPurpose; email: string; display_name: string }[]
    >`
      UPDATE email_tokens t SET token_hash = ${tokenHash}
      FROM users u
      WHERE t.id = ${id} AND u.id = t.user_id AND t.used_at IS NULL AND t.expires_at > ${now}
      RETURNING t.purpose, u.email, u.display_name`;
    const row = rows[0];
    return row ? { purpose: row.purpose, email: row.email, displayName: row.display_name } : null;
  }

  /** Uses the token at most once (conditional update); returns its user, or null. */
  async consumeEmailToken(
    tx: Tx,
    purpose: EmailTokenPurpose,
    tokenHash: string,
    now: Date,
  ): Promise<string | null> {
    const rows = await tx.$queryRaw<{ user_id: string }[]>`
      UPDATE email_tokens SET used_at = ${now}
      WHERE token_hash = ${tokenHash} AND purpose = ${purpose}::email_token_purpose
        AND used_at IS NULL AND expires_at > ${now}
      RETURNING user_id`;
    return rows[0]?.user_id ?? null;
  }

  async invalidateEmailTokens(tx: Tx, userId: string, purpose: EmailTokenPurpose, now: Date): Promise<void> {
    await tx.emailToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: now } });
  }

  // ---- failed logins --------------------------------------------------------------------

  /**
   * Reserves one password check for this email in the current window, atomically: returns the
   * number of checks (failures plus this one) in the window and when the window started.
   */
  async reserveLoginAttempt(
    email: string,
    now: Date,
    windowStartsAfter: Date,
  ): Promise<{ attempts: number; windowStart: Date }> {
    const [row] = await this.prisma.$queryRaw<{ failures: number; window_start: Date }[]>`
      INSERT INTO login_failures AS f (email, window_start, failures) VALUES (${email}, ${now}, 1)
      ON CONFLICT (email) DO UPDATE SET
        failures = CASE WHEN f.window_start <= ${windowStartsAfter} THEN 1 ELSE f.failures + 1 END,
        window_start = CASE WHEN f.window_start <= ${windowStartsAfter} THEN ${now} ELSE f.window_start END
      RETURNING failures, window_start`;
    return { attempts: row.failures, windowStart: row.window_start };
  }

  async clearLoginFailures(email: string): Promise<void> {
    await this.prisma.loginFailure.deleteMany({ where: { email } });
  }

  // ---- sessions and refresh tokens ------------------------------------------------------

  async createSession(
    userId: string,
    refreshHash: string,
    now: Date,
    refreshExpiresAt: Date,
  ): Promise<string> {
    const sessionId = newId('ses');
    await this.prisma.authSession.create({
      data: {
        id: sessionId,
        userId,
        createdAt: now,
        refreshTokens: {
          create: { id: newId('rtk'), tokenHash: refreshHash, createdAt: now, expiresAt: refreshExpiresAt },
        },
      },
    });
    return sessionId;
  }

  /**
   * Rotates a refresh token: marks it used and issues its successor in one transaction. Only one
   * of several concurrent uses can win the conditional update; the others see it used. A session
   * that began (logged in) `sessionMaxSeconds` ago or earlier rotates no more, however recently it
   * was refreshed: its token is `expired`.
   */
  async rotateRefreshToken(
    oldHash: string,
    newHash: string,
    now: Date,
    newExpiresAt: Date,
    sessionMaxSeconds: number,
  ): Promise<
    | { outcome: 'rotated'; sessionId: string; userId: string; status: 'active' | 'suspended' }
    | { outcome: 'reused'; sessionId: string; userId: string }
    | { outcome: 'invalid' | 'expired' }
  > {
    return this.prisma.$transaction(async (tx) => {
      const used = await tx.$queryRaw<{ session_id: string }[]>`
        UPDATE refresh_tokens r SET used_at = ${now}
        FROM auth_sessions s
        WHERE r.token_hash = ${oldHash} AND r.used_at IS NULL AND r.expires_at > ${now}
          AND s.id = r.session_id AND s.created_at > ${addSeconds(now, -sessionMaxSeconds)}
        RETURNING r.session_id`;
      if (!used.length) {
        const existing = await tx.refreshToken.findUnique({ where: { tokenHash: oldHash } });
        if (!existing) return { outcome: 'invalid' as const };
        if (existing.usedAt) {
          const owner = await tx.authSession.findUnique({
            where: { id: existing.sessionId },
            select: { userId: true },
          });
          if (!owner) return { outcome: 'invalid' as const };
          return { outcome: 'reused' as const, sessionId: existing.sessionId, userId: owner.userId };
        }
        return { outcome: 'expired' as const };
      }
      const session = await tx.authSession.findUnique({
        where: { id: used[0].session_id },
        include: { user: { select: { id: true, status: true } } },
      });
      if (!session || session.revokedAt) return { outcome: 'invalid' as const };
      await tx.refreshToken.create({
        data: {
          id: newId('rtk'),
          sessionId: session.id,
          tokenHash: newHash,
          createdAt: now,
          expiresAt: newExpiresAt,
        },
      });
      return {
        outcome: 'rotated' as const,
        sessionId: session.id,
        userId: session.user.id,
        status: session.user.status,
      };
    });
  }

  async revokeSession(sessionId: string, reason: string, now: Date): Promise<void> {
    await this.prisma.authSession.updateMany({
      where: { id: sessionId, revokedAt: null },
      data: { revokedAt: now, revokedReason: reason },
    });
  }

  async revokeUserSessions(
    tx: Tx,
    userId: string,
    reason: string,
    now: Date,
    exceptSessionId?: string,
  ): Promise<void> {
    await tx.authSession.updateMany({
      where: { userId, revokedAt: null, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) },
      data: { revokedAt: now, revokedReason: reason },
    });
  }

  async sessionPrincipal(sessionId: string, userId: string): Promise<SessionPrincipalRow | null> {
    const rows = await this.prisma.sql<{
      role: 'user' | 'admin';
      status: 'active' | 'suspended';
      revoked_at: Date | null;
    }>(
      `SELECT u.role, u.status, s.revoked_at
       FROM auth_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.user_id = $2`,
      [sessionId, userId],
      'session_principal',
    );
    const row = rows[0];
    return row ? { role: row.role, status: row.status, revokedAt: row.revoked_at } : null;
  }

  // ---- personal access tokens -----------------------------------------------------------

  async createPersonalAccessToken(data: {
    userId: string;
    name: string;
    tokenHash: string;
    prefix: string;
    scopes: string[];
    now: Date;
    expiresAt: Date;
  }): Promise<PersonalAccessToken> {
    return this.prisma.personalAccessToken.create({
      data: {
        id: newId('pat'),
        userId: data.userId,
        name: data.name,
        tokenHash: data.tokenHash,
        prefix: data.prefix,
        scopes: data.scopes,
        createdAt: data.now,
        expiresAt: data.expiresAt,
      },
    });
  }

  async tokenPrincipal(tokenHash: string): Promise<TokenPrincipalRow | null> {
    const rows = await this.prisma.sql<TokenPrincipalRow>(
      `SELECT t.id, t.user_id AS "userId", t.scopes, t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt",
              t.last_used_at AS "lastUsedAt", u.role, u.status
       FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = $1`,
      [tokenHash],
      'token_principal',
    );
    return rows[0] ?? null;
  }

  /** Records use at most once a minute per token, so reads do not turn into a write each. */
  async touchPersonalAccessToken(id: string, now: Date, staleBefore: Date): Promise<void> {
    // on the request path: one statement on the pg pool, like the principal lookup (Prisma ran
    // this updateMany as a read and an update in a transaction of its own)
    await this.prisma.execute(
      `UPDATE personal_access_tokens SET last_used_at = $2
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
      [id, now, staleBefore],
      'pat_touch',
    );
  }

  listPersonalAccessTokens(userId: string, now: Date, take: number, after?: { at: Date; id: string }) {
    return this.prisma.personalAccessToken.findMany({
      where: {
        userId,
        revokedAt: null,
        expiresAt: { gt: now },
        ...olderThan(after),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  /** Revokes every live token of the user (password reset and change), but `exceptTokenId`. */
  async revokeUserPersonalAccessTokens(tx: Tx, userId: string, now: Date, exceptTokenId?: string) {
    await tx.personalAccessToken.updateMany({
      where: { userId, revokedAt: null, ...(exceptTokenId ? { id: { not: exceptTokenId } } : {}) },
      data: { revokedAt: now },
    });
  }

  /** True when a live token of this user was revoked now. */
  async revokePersonalAccessToken(userId: string, id: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.personalAccessToken.updateMany({
      where: { id, userId, revokedAt: null },
      data: { revokedAt: now },
    });
    return count === 1;
  }
}
