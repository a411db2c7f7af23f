import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '@prisma/client';
import { Pool } from 'pg';
import { AppConfig } from '../../config/config';

export type Tx = Prisma.TransactionClient;

/**
 * The Prisma client on the pg driver adapter (no native engine), sharing one pg pool with `sql()`.
 * Repositories use Prisma; `sql()` is for the few single statements on every request's path
 * (token and session checks, health), where Prisma's per-query overhead was measured at 2–3.5×
 * plain pg (see README "Performance"). The pool fails fast when PostgreSQL is unreachable
 * (503 service_unavailable) and reconnects by itself when it returns.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(config: AppConfig) {
    const pool = new Pool({
      connectionString: config.databaseUrl,
      max: 20,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      // a runaway statement must not hold a connection past the request deadline
      statement_timeout: config.requestTimeoutMs + 5_000,
    });
    // an idle client losing its connection (database restart) is not an application error
    pool.on('error', () => undefined);
    super({
      adapter: new PrismaPg(pool, { disposeExternalPool: true }),
      transactionOptions: { maxWait: 5_000, timeout: config.requestTimeoutMs },
    });
    this.pool = pool;
  }

  /**
   * One parameterised statement on the shared pool, outside any transaction. A `name` makes it a
   * prepared statement kept by each connection, which saves the planning on hot queries.
   */
  async sql<T>(text: string, params: unknown[] = [], name?: string): Promise<T[]> {
    return (await this.pool.query({ text, values: params, ...(name ? { name } : {}) })).rows as T[];
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end().catch(() => undefined);
  }
}
