import { Injectable } from '@nestjs/common';
import { olderThan } from '../../platform/pagination/pagination';
import type { AuthSession, EmailTokenPurpose, PersonalAccessToken, RefreshToken, User } from '@prisma/client';
import { addSeconds } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { Database, type Tx } from '../../platform/database/database';
import { pgErrorOf } from '../../platform/database/db-errors';
import { PrismaService } from '../../platform/prisma/prisma.service';
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
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
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
      const [row] = await tx.query<CredentialRow>(
        `INSERT INTO users (id, email, password_hash, display_name, role, email_verified_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::user_role, $6, $7, $7)
         RETURNING id, email, password_hash AS "passwordHash", display_name AS "displayName", role, status,
                   email_verified_at AS "emailVerifiedAt", created_at AS "createdAt"`,
        [
          newId('usr'),
          data.email,
          data.passwordHash,
          data.displayName,
          data.role ?? 'user',
          data.verified ? data.now : null,
          data.now,
        ],
      );
      return row;
    } catch (e) {
      if (pgErrorOf(e)?.code === '23505') throw new AppError(AuthErrors.emailTaken);
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
    await tx.execute(
      `UPDATE users SET password_hash = $2, updated_at = $3, version = version + 1 WHERE id = $1`,
      [userId, passwordHash, now],
    );
  }

  /** Sets a new password hash only if the stored one is still `expectedHash`; true when it did. */
  async replacePassword(
    tx: Tx,
    userId: string,
    expectedHash: string,
    passwordHash: string,
    now: Date,
  ): Promise<boolean> {
    const count = await tx.execute(
      `UPDATE users SET password_hash = $3, updated_at = $4, version = version + 1
       WHERE id = $1 AND password_hash = $2`,
      [userId, expectedHash, passwordHash, now],
    );
    return count === 1;
  }

  async markVerified(tx: Tx, userId: string, now: Date): Promise<void> {
    await tx.execute(
      `UPDATE users SET email_verified_at = $2, updated_at = $2 WHERE id = $1 AND email_verified_at IS NULL`,
      [userId, now],
    );
  }

  /**
   * Creates the ADMIN_EMAIL admin, verified, unless an account holds the address: one statement,
   * so instances booting together and a registration racing the boot agree. Returns the role of
   * the account that holds the address now.
   */
  async ensureAdmin(email: string, passwordHash: string, now: Date): Promise<'created' | 'user' | 'admin'> {
    const created = await this.db.query<{ id: string }>(
      `
      INSERT INTO users (id, email, password_hash, display_name, role, status, plan_id, email_verified_at, created_at, updated_at)
      VALUES ($1, $2, $3, 'Administrator', 'admin', 'active', 'explorer', $4, $4, $4)
      ON CONFLICT (email) DO NOTHING
      RETURNING id`,
      [newId('usr'), email, passwordHash, now],
    );
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
    await tx.execute(
      `INSERT INTO email_tokens (id, user_id, purpose, token_hash, created_at, expires_at)
       VALUES ($1, $2, $3::email_token_purpose, $4, $5, $6)`,
      [id, userId, purpose, tokenHash, now, expiresAt],
    );
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
    const rows = await this.db.query<{ purpose: EmailTokenPurpose; email: string; display_name: string }>(
      `
      UPDATE email_tokens t SET token_hash = $1
      FROM users u
      WHERE t.id = $2 AND u.id = t.user_id AND t.used_at IS NULL AND t.expires_at > $3
      RETURNING t.purpose, u.email, u.display_name`,
      [tokenHash, id, now],
    );
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
    const rows = await tx.query<{ user_id: string }>(
      `
      UPDATE email_tokens SET used_at = $1
      WHERE token_hash = $2 AND purpose = $3::email_token_purpose
        AND used_at IS NULL AND expires_at > $1
      RETURNING user_id`,
      [now, tokenHash, purpose],
    );
    return rows[0]?.user_id ?? null;
  }

  async invalidateEmailTokens(tx: Tx, userId: string, purpose: EmailTokenPurpose, now: Date): Promise<void> {
    await tx.execute(
      `UPDATE email_tokens SET used_at = $3
       WHERE user_id = $1 AND purpose = $2::email_token_purpose AND used_at IS NULL`,
      [userId, purpose, now],
    );
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
    const [row] = await this.db.query<{ failures: number; window_start: Date }>(
      `
      INSERT INTO login_failures AS f (email, window_start, failures) VALUES ($1, $2, 1)
      ON CONFLICT (email) DO UPDATE SET
        failures = CASE WHEN f.window_start <= $3 THEN 1 ELSE f.failures + 1 END,
        window_start = CASE WHEN f.window_start <= $3 THEN $2 ELSE f.window_start END
      RETURNING failures, window_start`,
      [email, now, windowStartsAfter],
    );
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
    return this.db.transaction(async (tx) => {
      const used = await tx.query<{ session_id: string }>(
        `
        UPDATE refresh_tokens r SET used_at = $1
        FROM auth_sessions s
        WHERE r.token_hash = $2 AND r.used_at IS NULL AND r.expires_at > $1
          AND s.id = r.session_id AND s.created_at > $3
        RETURNING r.session_id`,
        [now, oldHash, addSeconds(now, -sessionMaxSeconds)],
      );
      if (!used.length) {
        const [existing] = await tx.query<Pick<RefreshToken, 'sessionId' | 'usedAt'>>(
          `SELECT session_id AS "sessionId", used_at AS "usedAt" FROM refresh_tokens WHERE token_hash = $1`,
          [oldHash],
        );
        if (!existing) return { outcome: 'invalid' as const };
        if (existing.usedAt) {
          const [owner] = await tx.query<Pick<AuthSession, 'userId'>>(
            `SELECT user_id AS "userId" FROM auth_sessions WHERE id = $1`,
            [existing.sessionId],
          );
          if (!owner) return { outcome: 'invalid' as const };
          return { outcome: 'reused' as const, sessionId: existing.sessionId, userId: owner.userId };
        }
        return { outcome: 'expired' as const };
      }
      const [session] = await tx.query<
        Pick<AuthSession, 'id' | 'revokedAt'> & { user: Pick<User, 'id' | 'status'> }
      >(
        `SELECT s.id, s.revoked_at AS "revokedAt", json_build_object('id', u.id, 'status', u.status) AS "user"
         FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
        [used[0].session_id],
      );
      if (!session || session.revokedAt) return { outcome: 'invalid' as const };
      await tx.execute(
        `INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
        [newId('rtk'), session.id, newHash, now, newExpiresAt],
      );
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
    await tx.execute(
      `UPDATE auth_sessions SET revoked_at = $3, revoked_reason = $4
       WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2)`,
      [userId, exceptSessionId ?? null, now, reason],
    );
  }

  async sessionPrincipal(sessionId: string, userId: string): Promise<SessionPrincipalRow | null> {
    const rows = await this.db.query<{
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
    const rows = await this.db.query<TokenPrincipalRow>(
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
    await this.db.execute(
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
    await tx.execute(
      `UPDATE personal_access_tokens SET revoked_at = $3
       WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR id <> $2)`,
      [userId, exceptTokenId ?? null, now],
    );
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
