import { Injectable } from '@nestjs/common';
import type { Prisma } from '@prisma/client';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';

export interface ProfileRow {
  id: string;
  email: string;
  display_name: string;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  email_verified_at: Date | null;
  plan_id: string;
  plan_name: string;
  permissions: { permission: string; granted: boolean }[];
  version: number;
  created_at: Date;
}

/** Every column of `users u`, under the User model's field names. */
export const USER_COLUMNS = `u.id, u.email, u.password_hash AS "passwordHash", u.display_name AS "displayName",
  u.role, u.status, u.plan_id AS "planId", u.email_verified_at AS "emailVerifiedAt",
  u.suspended_at AS "suspendedAt", u.suspended_reason AS "suspendedReason", u.version,
  u.created_at AS "createdAt", u.updated_at AS "updatedAt", u.current_subscription_id AS "subscriptionId",
  u.stripe_customer_id AS "stripeCustomerId"`;

/** The permission overrides of `users u`, a JSON array of {permission, granted} ([] when none). */
export const PERMISSIONS_JSON = `COALESCE((SELECT json_agg(json_build_object('permission', up.permission, 'granted', up.granted))
  FROM user_permissions up WHERE up.user_id = u.id), '[]'::json)`;

/** What findProfile returns: the user, its plan (id, name) and its permission overrides. */
export type UserProfileRow = Prisma.UserGetPayload<{
  include: {
    plan: { select: { id: true; name: true } };
    permissions: { select: { permission: true; granted: true } };
  };
}>;

@Injectable()
export class AccountsRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** GET /me: the profile, its plan and the permission overrides in one prepared statement. */
  async profile(userId: string): Promise<ProfileRow | undefined> {
    const [row] = await this.db.query<ProfileRow>(
      `SELECT u.id, u.email, u.display_name, u.role, u.status, u.email_verified_at, u.plan_id, p.name AS plan_name,
              COALESCE((SELECT json_agg(json_build_object('permission', up.permission, 'granted', up.granted))
                        FROM user_permissions up WHERE up.user_id = u.id), '[]'::json) AS permissions,
              u.version, u.created_at
       FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = $1`,
      [userId],
      'account_profile',
    );
    return row;
  }

  /** The user with its plan (id, name) and its permission overrides, in one statement. */
  async findProfile(userId: string, tx?: Tx): Promise<UserProfileRow | null> {
    const [row] = await (tx ?? this.db).query<UserProfileRow>(
      `SELECT ${USER_COLUMNS}, json_build_object('id', p.id, 'name', p.name) AS plan, ${PERMISSIONS_JSON} AS permissions
       FROM users u JOIN plans p ON p.id = u.plan_id WHERE u.id = $1`,
      [userId],
    );
    return row ?? null;
  }

  /** Called with the user row locked (lockVersion): it exists. */
  async updateDisplayName(tx: Tx, userId: string, displayName: string, now: Date): Promise<void> {
    await tx.execute(
      `UPDATE users SET display_name = $2, updated_at = $3, version = version + 1 WHERE id = $1`,
      [userId, displayName, now],
    );
  }

  /**
   * Locks the user row for the rest of the transaction and compares its version under the lock:
   * of two concurrent writers sending the same If-Match, the second waits, then sees the version
   * the first wrote ('stale'). NO KEY UPDATE: rows that merely reference the user (sessions,
   * ledger entries, purchases) are still inserted meanwhile; their foreign-key checks take
   * KEY SHARE, which FOR UPDATE would block.
   */
  async lockVersion(
    tx: Tx,
    userId: string,
    expected: number | undefined,
  ): Promise<'locked' | 'stale' | 'missing'> {
    const rows = await tx.query<{ version: number }>(
      `
      SELECT version FROM users WHERE id = $1 FOR NO KEY UPDATE`,
      [userId],
    );
    if (!rows.length) return 'missing';
    return expected === undefined || rows[0].version === expected ? 'locked' : 'stale';
  }

  permissionOverrides(userId: string) {
    return this.prisma.userPermission.findMany({
      where: { userId },
      select: { permission: true, granted: true },
    });
  }
}
