import { nextReset, periodOf } from './periods';

describe('token periods', () => {
  it('are UTC calendar months', () => {
    expect(periodOf(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    expect(periodOf(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12');
    expect(nextReset(new Date('2026-11-21T10:00:00Z')).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(nextReset(new Date('2026-12-31T23:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
