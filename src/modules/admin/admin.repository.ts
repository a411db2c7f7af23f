import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { olderThan } from '../../platform/pagination/pagination';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

const USER_INCLUDE = {
  permissions: { select: { permission: true, granted: true } },
  artist: { select: { id: true, name: true, slug: true, verified: true } },
} as const;
export type AdminUserRow = Prisma.UserGetPayload<{ include: typeof USER_INCLUDE }>;

@Injectable()
export class AdminRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
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

  findUser(id: string, tx?: Tx): Promise<AdminUserRow | null> {
    return (tx ?? this.prisma).user.findUnique({ where: { id }, include: USER_INCLUDE });
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
    const { count } = await tx.user.updateMany({
      where: { id, status: from },
      data: {
        status: to,
        suspendedAt: to === 'suspended' ? now : null,
        suspendedReason: to === 'suspended' ? reason : null,
        updatedAt: now,
        version: { increment: 1 },
      },
    });
    return count === 1;
  }

  async setPermissions(tx: Tx, userId: string, grant: string[], revoke: string[], now: Date): Promise<void> {
    await tx.user.update({ where: { id: userId }, data: { version: { increment: 1 }, updatedAt: now } });
    for (const [permissions, granted] of [
      [grant, true],
      [revoke, false],
    ] as const) {
      for (const permission of permissions) {
        await tx.userPermission.upsert({
          where: { userId_permission: { userId, permission } },
          create: { userId, permission, granted, updatedAt: now },
          update: { granted, updatedAt: now },
        });
      }
    }
  }
}
