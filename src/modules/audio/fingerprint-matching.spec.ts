import fc from 'fast-check';
import { bitErrorRate, indexKeys, similarity } from './fingerprint-matching';

const randomFingerprint = (n: number, seed: number) => {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) | 0);
};

describe('fingerprint matching', () => {
  it('finds identical fingerprints identical, at any shift (trimmed copies)', () => {
    const a = randomFingerprint(400, 1);
    expect(similarity(a, a)).toBe(1);
    expect(similarity(a, a.slice(37))).toBe(1);
    expect(similarity(a.slice(50, 300), a)).toBe(1);
  });

  it('puts unrelated fingerprints near 0.5 (independent bits)', () => {
    const s = similarity(randomFingerprint(400, 1), randomFingerprint(400, 2));
    expect(s).toBeGreaterThan(0.4);
    expect(s).toBeLessThan(0.6);
  });

  it('measures flipped bits exactly', () => {
    const a = randomFingerprint(100, 3);
    const b = a.map((x, i) => (i % 2 ? x ^ 0b1111 : x)); // 4 of 64 bits per pair of items
    expect(bitErrorRate(a, b, 0)).toBeCloseTo(2 / 32, 10);
    expect(similarity(a, b)).toBeCloseTo(1 - 2 / 32, 4);
  });

  it('returns 0 when there is nothing to compare', () => {
    expect(similarity([], [1, 2, 3])).toBe(0);
  });

  it('is symmetric for same-length fingerprints (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 30 }), (seed, flips) => {
        const a = randomFingerprint(120, seed);
        const b = a.map((x, i) => (i < flips ? ~x : x));
        return Math.abs(similarity(a, b) - similarity(b, a)) < 1e-9;
      }),
    );
  });

  it('indexes a sample of keys, the same sample for the same items, all keys for short audio', () => {
    const a = randomFingerprint(900, 4);
    const keys = indexKeys(a);
    expect(keys.length).toBeGreaterThan(60);
    expect(keys.length).toBeLessThan(200);
    expect(keys.every((k) => Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31)).toBe(true);
    expect(indexKeys(a.slice(100))).toEqual(expect.arrayContaining(indexKeys(a.slice(300))));
    expect(indexKeys(a.slice(0, 20))).toHaveLength(new Set(a.slice(0, 20)).size);
  });
});
