import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

@Injectable()
export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
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
