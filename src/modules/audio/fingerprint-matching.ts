/**
 * Comparing Chromaprint raw fingerprints (one 32-bit item per ~0.124 s of audio).
 *
 * similarity = 1 − bit error rate at the best alignment offset, over the overlapping items.
 * Offsets worth checking come from votes of items whose top 16 bits agree (AcoustID's server
 * aligns the same way), so a comparison costs O(n), not O(n × offsets).
 *
 * The index stores, per track, a sample of its items as keys (one in eight, chosen by a hash of
 * the item itself so that both sides pick the same ones): a re-encoded or gain-changed copy keeps
 * most items bit-exact and shares most keys; unrelated audio shares almost none. Whole 32-bit
 * items keep the posting lists short as the catalogue grows (28-bit keys made a 10× larger
 * catalogue cost 4× the lookup time; see README "Performance").
 */

const MIN_KEYS = 16; // short audio: index every key rather than a sample
const MIN_OVERLAP = 16; // items (~2 s): shorter overlaps say nothing

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * Keeps one key in eight, chosen by Fibonacci hashing (the top 3 bits of k × 2654435761 mod 2^32
 * are zero), so the choice does not follow the key's own bit pattern. Cheap enough to have an
 * exact SQL twin (see bench/workloads/fingerprints.mjs).
 */
const sampled = (k: number): boolean => Math.imul(k, 0x9e3779b1) >>> 29 === 0;

/** The index keys of a fingerprint: sorted, unique int4 values. */
export function indexKeys(fingerprint: ArrayLike<number>): number[] {
  const all = new Set<number>();
  for (let i = 0; i < fingerprint.length; i++) all.add(fingerprint[i] | 0);
  const sample = [...all].filter(sampled);
  return (sample.length >= MIN_KEYS ? sample : [...all]).sort((a, b) => a - b);
}

/** Bit error rate of b shifted by `offset` items against a, over their overlap (1 if too short). */
export function bitErrorRate(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number {
  const from = Math.max(0, offset);
  const to = Math.min(a.length, b.length + offset);
  const n = to - from;
  if (n < Math.min(MIN_OVERLAP, a.length, b.length) || n <= 0) return 1;
  let bits = 0;
  for (let i = from; i < to; i++) bits += popcount((a[i] ^ b[i - offset]) >>> 0);
  return bits / (n * 32);
}

/** Offsets (a index − b index) ranked by how many items agree on their top 16 bits. */
function votedOffsets(a: ArrayLike<number>, b: ArrayLike<number>, top: number): number[] {
  const positions = new Map<number, number[]>();
  for (let j = 0; j < b.length; j++) {
    const k = b[j] >>> 16;
    const list = positions.get(k);
    if (list) list.push(j);
    else positions.set(k, [j]);
  }
  const votes = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    for (const j of positions.get(a[i] >>> 16) ?? []) votes.set(i - j, (votes.get(i - j) ?? 0) + 1);
  }
  return [...votes.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, top)
    .map(([offset]) => offset);
}

/** 1 − the lowest bit error rate over plausible alignments; 0 for empty fingerprints. */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (!a.length || !b.length) return 0;
  const offsets = new Set<number>([0]);
  for (const o of votedOffsets(a, b, 4)) for (const d of [-1, 0, 1]) offsets.add(o + d);
  let best = 1;
  for (const o of offsets) best = Math.min(best, bitErrorRate(a, b, o));
  return Math.round((1 - best) * 10_000) / 10_000;
}
