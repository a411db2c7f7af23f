import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { olderThan } from '../../platform/pagination/pagination';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import { PERMISSIONS_JSON, USER_COLUMNS } from '../accounts/accounts.repository';

const USER_INCLUDE = {
  permissions: { select: { permission: true, granted: true } },
  artist: { select: { id: true, name: true, slug: true, verified: true } },
} as const;
export type AdminUserRow = Prisma.UserGetPayload<{ include: typeof USER_INCLUDE }>;

@Injectable()
export class AdminRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  listUsers(
    filter: { status?: 'active' | 'suspended'; q?: string },
    take: number,
    after?: { at: Date; id: string },
  ): Promise<AdminUserRow[]> {
    return this.prisma.user.findMany({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.q
          ? {
              OR: [
                { email: { contains: filter.q, mode: 'insensitive' } },
                { displayName: { contains: filter.q, mode: 'insensitive' } },
              ],
            }
          : {}),
        ...(after ? { AND: [olderThan(after)] } : {}),
      },
      include: USER_INCLUDE,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  /** The user with its permission overrides and its artist profile (or null), in one statement. */
  async findUser(id: string, tx?: Tx): Promise<AdminUserRow | null> {
    const [row] = await (tx ?? this.db).query<AdminUserRow>(
      `SELECT ${USER_COLUMNS}, ${PERMISSIONS_JSON} AS permissions,
              (SELECT json_build_object('id', a.id, 'name', a.name, 'slug', a.slug, 'verified', a.verified)
               FROM artists a WHERE a.user_id = u.id) AS artist
       FROM users u WHERE u.id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** Conditional on the current status: concurrent suspensions change (and log) it once. */
  async setStatus(
    tx: Tx,
    id: string,
    from: 'active' | 'suspended',
    to: 'active' | 'suspended',
    reason: string | null,
    now: Date,
  ): Promise<boolean> {
    const count = await tx.execute(
      `UPDATE users SET status = $3::user_status, suspended_at = $4, suspended_reason = $5, updated_at = $6,
              version = version + 1
       WHERE id = $1 AND status = $2::user_status`,
      [id, from, to, to === 'suspended' ? now : null, to === 'suspended' ? reason : null, now],
    );
    return count === 1;
  }

  /** Called with the user row locked (AccountsService.lockUser): it exists. */
  async setPermissions(tx: Tx, userId: string, grant: string[], revoke: string[], now: Date): Promise<void> {
    await tx.execute(`UPDATE users SET version = version + 1, updated_at = $2 WHERE id = $1`, [userId, now]);
    for (const [permissions, granted] of [
      [grant, true],
      [revoke, false],
    ] as const) {
      for (const permission of permissions) {
        await tx.execute(
          `INSERT INTO user_permissions (user_id, permission, granted, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, permission) DO UPDATE SET granted = EXCLUDED.granted, updated_at = EXCLUDED.updated_at`,
          [userId, permission, granted, now],
        );
      }
    }
  }
}
