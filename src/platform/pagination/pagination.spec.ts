import { isAppError } from '../errors/app-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('cursor pagination', () => {
  it('round-trips a keyset position', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(decodeCursor(encodeCursor({ at, id: 'usr_x' }))).toEqual({ at, id: 'usr_x' });
  });

  it('rejects a tampered cursor as a validation failure', () => {
    try {
      decodeCursor('not-a-cursor');
      throw new Error('expected a failure');
    } catch (e) {
      expect(isAppError(e)).toBe(true);
      expect((e as { code: string }).code).toBe('validation_failed');
    }
  });

  it('returns a next cursor only when more rows exist', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `r${n}`, at: new Date(n * 1000) }));
    const full = toPage(
      rows,
      2,
      (r) => r,
      (r) => r.id,
    );
    expect(full.data).toEqual(['r1', 'r2']);
    expect(decodeCursor(full.next_cursor!)).toEqual({ at: new Date(2000), id: 'r2' });
    expect(
      toPage(
        rows.slice(0, 2),
        2,
        (r) => r,
        (r) => r.id,
      ).next_cursor,
    ).toBeNull();
  });
});
