import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../prisma/prisma.service';

export interface MaintenanceState {
  enabled: boolean;
  message: string | null;
}

const KEY = 'maintenance';

@Injectable()
export class MaintenanceRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** On the request path (at most once a second per instance): a prepared statement, not Prisma. */
  async read(): Promise<MaintenanceState> {
    const [row] = await this.prisma.sql<{ value: unknown }>(
      'SELECT value FROM platform_settings WHERE key = $1',
      [KEY],
      'maintenance_read',
    );
    const value = (row?.value ?? {}) as Partial<MaintenanceState>;
    return { enabled: value.enabled === true, message: value.message ?? null };
  }

  async write(tx: Tx, state: MaintenanceState, actorId: string, at: Date): Promise<void> {
    const value = { enabled: state.enabled, message: state.message };
    await tx.platformSetting.upsert({
      where: { key: KEY },
      create: { key: KEY, value, updatedAt: at, updatedBy: actorId },
      update: { value, updatedAt: at, updatedBy: actorId },
    });
  }
}
