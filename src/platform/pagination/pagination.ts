import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import type { PageQueryDto } from './page.dto';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Keyset position: newest first by (created_at, id). */
export interface Keyset {
  at: Date;
  id: string;
}

/**
 * Cursors are opaque to clients and signed (HMAC of the app secret): a forged or edited cursor
 * is bad_request before it reaches a query, never a date out of range in PostgreSQL.
 */
let cursorKey: Buffer = randomBytes(32);

/** Called once at boot with the app secret, so every instance signs and accepts the same cursors. */
export function setCursorSecret(secret: string): void {
  cursorKey = createHmac('sha256', secret).update('cursor-signing').digest();
}

const sign = (payload: string): Buffer =>
  createHmac('sha256', cursorKey).update(payload).digest().subarray(0, 16);

// the range a row's created_at can hold: anything else was never produced by us
const MIN_TIME = 0;
const MAX_TIME = Date.UTC(9999, 11, 31);
const badCursor = () => new AppError(GeneralErrors.badRequest, { message: 'The cursor is not valid.' });

export function encodeCursor(k: Keyset): string {
  const payload = Buffer.from(JSON.stringify([k.at.toISOString(), k.id])).toString('base64url');
  return `${payload}.${sign(payload).toString('base64url')}`;
}

export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined;
  const [payload, mac, extra] = cursor.split('.');
  if (!payload || !mac || extra !== undefined || cursor.length > 512) throw badCursor();
  const given = Buffer.from(mac, 'base64url');
  const expected = sign(payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw badCursor();
  try {
    const [at, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [unknown, unknown];
    const time = typeof at === 'string' ? Date.parse(at) : NaN;
    if (typeof id !== 'string' || !(time >= MIN_TIME && time <= MAX_TIME)) throw badCursor();
    return { at: new Date(time), id };
  } catch {
    throw badCursor();
  }
}

/** Fetch limit + 1 rows, return limit of them and the cursor of the last one if more exist. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => Keyset,
  map: (row: R) => T,
): Page<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  return {
    data: slice.map(map),
    next_cursor: more && slice.length ? encodeCursor(keyOf(slice[slice.length - 1])) : null,
  };
}

export const pageLimit = (q: PageQueryDto): number => q.limit ?? 20;

/** The keyset of a row listed newest first by (created_at, id). */
export const byCreation = (row: { createdAt: Date; id: string }): Keyset => ({
  at: row.createdAt,
  id: row.id,
});

/** Prisma `where` for the rows after `after` in (created_at, id) descending order; nothing on page one. */
export const olderThan = (after?: Keyset) =>
  after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {};
