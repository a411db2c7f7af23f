import { Injectable } from '@nestjs/common';
import { Database, type Db } from '../database/database';

export interface MaintenanceState {
  enabled: boolean;
  message: string | null;
}

const KEY = 'maintenance';

@Injectable()
export class MaintenanceRepository {
  constructor(private readonly db: Database) {}

  /** On the request path (at most once a second per instance): a prepared statement, not Prisma. */
  async read(): Promise<MaintenanceState> {
    const [row] = await this.db.query<{ value: unknown }>(
      'SELECT value FROM platform_settings WHERE key = $1',
      [KEY],
      'maintenance_read',
    );
    const value = (row?.value ?? {}) as Partial<MaintenanceState>;
    return { enabled: value.enabled === true, message: value.message ?? null };
  }

  async write(tx: Db, state: MaintenanceState, actorId: string, at: Date): Promise<void> {
    const value = { enabled: state.enabled, message: state.message };
    await tx.execute(
      `INSERT INTO platform_settings (key, value, updated_at, updated_by) VALUES ($1, $2::jsonb, $3, $4)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
      [KEY, JSON.stringify(value), at, actorId],
    );
  }
}
