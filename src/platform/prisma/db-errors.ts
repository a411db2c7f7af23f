import { Prisma } from '@prisma/client';
import { DatabaseError } from 'pg';

/**
 * The PostgreSQL error behind a database error — pg's own (`sql()`, `transaction()`) or Prisma's,
 * from model queries (P2002, P2003…) and raw ones (P2010) alike: its SQLSTATE (`23505` unique,
 * `23503` foreign key, `23514` check) and the constraint or index it names.
 */
export function pgErrorOf(e: unknown): { code: string; constraint?: string } | null {
  if (e instanceof DatabaseError) return e.code ? { code: e.code, constraint: e.constraint } : null;
  if (!(e instanceof Prisma.PrismaClientKnownRequestError)) return null;
  const cause = (
    e.meta as
      | { driverAdapterError?: { cause?: { originalCode?: string; constraint?: { index?: string } } } }
      | undefined
  )?.driverAdapterError?.cause;
  return cause?.originalCode ? { code: cause.originalCode, constraint: cause.constraint?.index } : null;
}
