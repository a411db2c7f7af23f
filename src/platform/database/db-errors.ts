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

/** set (not enumerable) on an error raised while a connection was being acquired or established */
const CONNECT_FAILURE = Symbol.for('beat-platform.database.connect-failure');

/**
 * Marks err as raised while acquiring or establishing a database connection (see
 * tagged-connections.ts), whatever its code: whoever classifies it later need not know the code.
 */
export function markConnectFailure(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  Object.defineProperty(e, CONNECT_FAILURE, { value: true, enumerable: false, configurable: true });
  return e;
}

/** err itself (not its causes) was raised while acquiring or establishing a connection */
export function isConnectFailure(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { [CONNECT_FAILURE]?: boolean })[CONNECT_FAILURE] === true
  );
}

/**
 * What a connection that died (or could not be had) reports, when the error comes from a
 * statement rather than from connecting: socket errors, PostgreSQL's too_many_connections,
 * admin/crash shutdown and cannot_connect_now, the connection_exception class (08…), and the
 * Prisma codes the pg adapter's connection kinds become.
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  'P1001', // can't reach the database server
  'P1002', // the server timed out
  'P1008', // socket timeout
  'P1017', // the server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2037', // too many connections
]);
const CONNECTION_EXCEPTION_CLASS = /^08[0-9A-Z]{3}$/;
/** the pg adapter's kinds for a connection that could not be had or was lost (Prisma's cause.kind) */
const CONNECTION_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** pg's own errors for a dead or unobtainable connection carry no code: their messages */
const CONNECTION_MESSAGES =
  /(timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|DatabaseNotReachable|Can't reach database|the database system is (starting up|shutting down)|terminating connection|Client (has encountered a connection error|was closed) and is not queryable)/i;

/**
 * True when err (or anything in its cause chain) says no database connection could be had or the
 * one in use died — the service is unavailable (503), not broken (500). Decided first by where
 * the failure happened: anything raised while acquiring or establishing a connection is marked
 * so (markConnectFailure), whatever its code — the next refusal nobody listed (55000 from a
 * database with ALLOW_CONNECTIONS false, 28P01, 3D000) is a 503 too. A statement's failure counts
 * when PostgreSQL ended the session (severity FATAL or PANIC) or the code or message is one of a
 * lost connection. Prisma's errors from the pg adapter carry their cause in
 * `meta.driverAdapterError` (or are the DriverAdapterError itself), followed like `cause`.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const next: unknown[] = [err];
  while (next.length) {
    const e = next.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (isConnectFailure(e)) return true;
    const o = e as {
      code?: unknown;
      originalCode?: unknown;
      severity?: unknown;
      kind?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    for (const code of [o.code, o.originalCode]) {
      if (typeof code === 'string' && (CONNECTION_CODES.has(code) || CONNECTION_EXCEPTION_CLASS.test(code)))
        return true;
    }
    if (o.severity === 'FATAL' || o.severity === 'PANIC') return true;
    if (typeof o.kind === 'string' && CONNECTION_KINDS.has(o.kind)) return true;
    if (typeof o.message === 'string' && CONNECTION_MESSAGES.test(o.message)) return true;
    if (e instanceof Prisma.PrismaClientInitializationError) return true;
    next.push(o.cause, o.meta?.driverAdapterError);
  }
  return false;
}
