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

export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify([k.at.toISOString(), k.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new AppError(GeneralErrors.validationFailed, { errors: { cursor: ['cursor is not valid'] } });
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
