import { isAppError } from '../errors/app-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('cursor pagination', () => {
  it('round-trips a keyset position', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(decodeCursor(encodeCursor({ at, id: 'usr_x' }))).toEqual({ at, id: 'usr_x' });
  });

  const codeOf = (cursor: string): string | undefined => {
    try {
      decodeCursor(cursor);
      return undefined;
    } catch (e) {
      return isAppError(e) ? e.code : 'not an AppError';
    }
  };

  it('rejects a malformed, forged or edited cursor as bad_request', () => {
    expect(codeOf('not-a-cursor')).toBe('bad_request');
    // a well-formed payload with a date PostgreSQL cannot hold, unsigned or signed by someone else
    const outOfRange = Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', 'x'])).toString(
      'base64url',
    );
    expect(codeOf(outOfRange)).toBe('bad_request');
    expect(codeOf(`${outOfRange}.AAAAAAAAAAAAAAAAAAAAAA`)).toBe('bad_request');
    const good = encodeCursor({ at: new Date('2026-01-01T00:00:00Z'), id: 'trk_a' });
    const [payload, mac] = good.split('.');
    const edited = Buffer.from(JSON.stringify(['2027-01-01T00:00:00.000Z', 'trk_a'])).toString('base64url');
    expect(codeOf(`${edited}.${mac}`)).toBe('bad_request');
    expect(codeOf(`${payload}.${mac}`)).toBeUndefined();
  });

  it('refuses a date out of range even when signed', () => {
    expect(codeOf(encodeCursor({ at: new Date(8.64e15), id: 'x' }))).toBe('bad_request');
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
