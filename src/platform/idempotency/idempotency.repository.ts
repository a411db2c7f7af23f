import { Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import { Database } from '../database/database';
import { PrismaService } from '../prisma/prisma.service';

export interface IdempotencyScope {
  caller: string;
  route: string;
  key: string;
}

export type Claim =
  | { kind: 'owner' }
  | { kind: 'in_progress'; bodyHash: string }
  | { kind: 'completed'; bodyHash: string; status: number; body: unknown };

@Injectable()
export class IdempotencyRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * Claims the key with one statement: the primary key makes concurrent first requests race on
   * the insert and exactly one wins. A row past its 24 h retention, or an in-progress claim
   * abandoned by a crashed request (same body), is taken over by the same statement.
   */
  async claim(
    scope: IdempotencyScope,
    bodyHash: string,
    now: Date,
    lockedUntil: Date,
    expiresAt: Date,
  ): Promise<Claim> {
    const { caller, route, key } = scope;
    const won = await this.db.query<{ owner: boolean }>(
      `
      INSERT INTO idempotency_keys AS k
        (caller, route, key, body_hash, state, created_at, locked_until, expires_at)
      VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, $7)
      ON CONFLICT (caller, route, key) DO UPDATE
        SET body_hash = EXCLUDED.body_hash, state = 'in_progress', response_status = NULL,
            response_body = NULL, created_at = EXCLUDED.created_at,
            locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at
        WHERE k.expires_at <= $5
           OR (k.state = 'in_progress' AND k.locked_until <= $5 AND k.body_hash = EXCLUDED.body_hash)
      RETURNING true AS owner`,
      [caller, route, key, bodyHash, now, lockedUntil, expiresAt],
    );
    if (won.length) return { kind: 'owner' };

    const row = await this.prisma.idempotencyKey.findUnique({ where: { caller_route_key: scope } });
    // Deleted between the two statements (the owner failed and released it): retry the claim.
    if (!row) return this.claim(scope, bodyHash, now, lockedUntil, expiresAt);
    if (row.state === 'in_progress') return { kind: 'in_progress', bodyHash: row.bodyHash };
    return {
      kind: 'completed',
      bodyHash: row.bodyHash,
      status: row.responseStatus ?? 200,
      body: row.responseBody,
    };
  }

  async complete(scope: IdempotencyScope, status: number, body: unknown): Promise<void> {
    await this.prisma.idempotencyKey.updateMany({
      where: { ...scope, state: 'in_progress' },
      data: {
        state: 'completed',
        responseStatus: status,
        responseBody: body === undefined || body === null ? Prisma.JsonNull : (body as Prisma.InputJsonValue),
      },
    });
  }

  /** Forget a claim whose request left no effect (validation failure, server error). */
  async release(scope: IdempotencyScope): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { ...scope, state: 'in_progress' } });
  }

  async purgeExpired(now: Date): Promise<number> {
    const { count } = await this.prisma.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
