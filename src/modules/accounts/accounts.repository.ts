import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

@Injectable()
export class AccountsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  findProfile(userId: string) {
    return this.prisma.user.findUnique({
      where: { id: userId },
      include: {
        plan: { select: { id: true, name: true } },
        permissions: { select: { permission: true, granted: true } },
      },
    });
  }

  async updateDisplayName(tx: Tx, userId: string, displayName: string, now: Date): Promise<void> {
    await tx.user.update({ where: { id: userId }, data: { displayName, updatedAt: now } });
  }

  permissionOverrides(userId: string) {
    return this.prisma.userPermission.findMany({
      where: { userId },
      select: { permission: true, granted: true },
    });
  }
}
