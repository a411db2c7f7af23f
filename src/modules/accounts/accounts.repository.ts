import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

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

@Injectable()
export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** GET /me: the profile, its plan and the permission overrides in one prepared statement. */
  async profile(userId: string): Promise<ProfileRow | undefined> {
    const [row] = await this.prisma.sql<ProfileRow>(
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

  findProfile(userId: string, tx?: Tx) {
    return (tx ?? this.prisma).user.findUnique({
      where: { id: userId },
      include: {
        plan: { select: { id: true, name: true } },
        permissions: { select: { permission: true, granted: true } },
      },
    });
  }

  async updateDisplayName(tx: Tx, userId: string, displayName: string, now: Date): Promise<void> {
    await tx.user.update({
      where: { id: userId },
      data: { displayName, updatedAt: now, version: { increment: 1 } },
    });
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
    const rows = await tx.$queryRaw<{ version: number }[]>`
      SELECT version FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
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
