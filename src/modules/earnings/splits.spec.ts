import { saleLegs, splitCents } from './splits';

describe('splitCents (largest remainder)', () => {
  it('adds up to the cent', () => {
    const parts = splitCents(1000, [
      { userId: 'a', bps: 3333 },
      { userId: 'b', bps: 3333 },
      { userId: 'c', bps: 3334 },
    ]);
    expect(parts.map((p) => p.cents)).toEqual([333, 333, 334]);
    expect(parts.reduce((s, p) => s + p.cents, 0)).toBe(1000);
  });

  it('gives the leftover cents to the largest remainders, ties to the first', () => {
    expect(
      splitCents(101, [
        { userId: 'a', bps: 5000 },
        { userId: 'b', bps: 5000 },
      ]),
    ).toEqual([
      { userId: 'a', cents: 51 },
      { userId: 'b', cents: 50 },
    ]);
    expect(
      splitCents(10, [
        { userId: 'a', bps: 1500 },
        { userId: 'b', bps: 8500 },
      ]).map((p) => p.cents),
    ).toEqual([2, 8]);
  });

  it('holds for many random splits', () => {
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 10);
      const raw = Array.from({ length: n }, () => Math.floor(Math.random() * 1000));
      const sum = raw.reduce((s, x) => s + x, 0) || 1;
      const bps = raw.map((x) => Math.floor((x * 10_000) / sum));
      bps[0] += 10_000 - bps.reduce((s, x) => s + x, 0);
      const cents = Math.floor(Math.random() * 1e7);
      const parts = splitCents(
        cents,
        bps.map((b, k) => ({ userId: String(k), bps: b })),
      );
      expect(parts.reduce((s, p) => s + p.cents, 0)).toBe(cents);
      parts.forEach((p, k) => expect(Math.abs(p.cents - (cents * bps[k]) / 10_000)).toBeLessThan(1));
    }
  });

  it('refuses a fractional amount and empty shares', () => {
    expect(() => splitCents(1.5, [{ userId: 'a', bps: 10_000 }])).toThrow(RangeError);
    expect(() => splitCents(100, [])).toThrow(RangeError);
  });
});

describe('saleLegs', () => {
  it('gives a declined share to the owner, holds a pending one, drops empty legs', () => {
    const legs = saleLegs(1000, 'own', [
      { userId: 'own', bps: 5000, status: 'accepted' },
      { userId: 'a', bps: 2500, status: 'pending' },
      { userId: 'b', bps: 2500, status: 'declined' },
      { userId: 'c', bps: 0, status: 'accepted' },
    ]);
    expect(legs).toEqual([
      { userId: 'own', cents: 750, bps: 7500, held: false },
      { userId: 'a', cents: 250, bps: 2500, held: true },
    ]);
  });

  it('records shares of credits that add up to 100.01 % within 10,000 bps (a declined one merged)', () => {
    const legs = saleLegs(2999, 'own', [
      { userId: 'own', bps: 5001, status: 'accepted' },
      { userId: 'a', bps: 5000, status: 'declined' },
    ]);
    expect(legs).toEqual([{ userId: 'own', cents: 2999, bps: 10_000, held: false }]);
  });

  it('gives everything to the owner when no split is recorded', () => {
    expect(saleLegs(999, 'own', [])).toEqual([{ userId: 'own', cents: 999, bps: 10_000, held: false }]);
  });
});
