import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '@prisma/client';
import { AppConfig } from '../../config/config';

export type Tx = Prisma.TransactionClient;

/**
 * The Prisma client on the pg driver adapter (no native engine). Only repositories use it.
 * The pool fails fast when PostgreSQL is unreachable (connectionTimeoutMillis), which the global
 * filter turns into 503 service_unavailable; pg reconnects by itself when the database returns.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(config: AppConfig) {
    super({
      adapter: new PrismaPg({
        connectionString: config.databaseUrl,
        max: 20,
        connectionTimeoutMillis: 3_000,
        idleTimeoutMillis: 30_000,
        // a runaway statement must not hold a connection past the request deadline
        statement_timeout: config.requestTimeoutMs + 5_000,
      }),
      transactionOptions: { maxWait: 5_000, timeout: config.requestTimeoutMs },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
