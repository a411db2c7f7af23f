/** What a `Range` header asks of a representation of `size` bytes (RFC 9110 §14). */
export type ByteRange =
  | { kind: 'full' }
  /** `start`..`end` inclusive, both inside the representation */
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const FULL: ByteRange = { kind: 'full' };
const UNSATISFIABLE: ByteRange = { kind: 'unsatisfiable' };

// RFC 9110 §14.1.1: int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length
const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

/**
 * Reads a `Range` header for a representation of `size` bytes.
 *
 * - no header, another unit, or a malformed header (bad syntax, `last < first`) → `full`: a
 *   server ignores a Range it cannot parse (RFC 9110 §14.2);
 * - `bytes=a-b` (end clamped to the last byte), `bytes=a-`, `bytes=-n` (the last n bytes, or all
 *   of them when n ≥ size) → `partial`;
 * - no range inside the file (a start at or past the end, `-0`) → `unsatisfiable` (416);
 * - several ranges: if exactly one of them is satisfiable it is served, if more are → `full`
 *   (no multipart/byteranges answers; `send`, behind @fastify/static, does the same; browsers and
 *   mobile players ask for one range);
 * - a zero-byte file: a suffix range selects "the whole (empty) file" → `full`; any other range
 *   is unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return FULL;
  const value = header.trim();
  // the range unit is case-insensitive (RFC 9110 §14.1)
  if (value.slice(0, 6).toLowerCase() !== 'bytes=') return FULL;
  // a list may carry empty elements and whitespace around commas (RFC 9110 §5.6.1)
  const specs = value
    .slice(6)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0) return FULL;

  const satisfiable: ByteRange[] = [];
  for (const spec of specs) {
    const int = INT_RANGE.exec(spec);
    if (int) {
      const first = Number(int[1]);
      const last = int[2] === '' ? Infinity : Number(int[2]);
      if (last < first) return FULL; // invalid: the whole header is ignored
      if (first < size) satisfiable.push({ kind: 'partial', start: first, end: Math.min(last, size - 1) });
      continue;
    }
    const suffix = SUFFIX_RANGE.exec(spec);
    if (!suffix) return FULL;
    const length = Number(suffix[1]);
    if (length === 0) continue; // a zero-length suffix selects nothing
    satisfiable.push(
      size === 0 ? FULL : { kind: 'partial', start: Math.max(0, size - length), end: size - 1 },
    );
  }
  if (satisfiable.length === 0) return UNSATISFIABLE;
  return satisfiable.length === 1 ? satisfiable[0] : FULL;
}

/**
 * `If-Range` (RFC 9110 §13.1.5): the range applies only when the validator is the current
 * strong ETag, compared character for character. A date (we send no Last-Modified), a weak tag
 * or another tag means the client's partial copy is stale or unknowable → the full body.
 * No header → the range applies.
 */
export function ifRangeAllows(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  return !etag.startsWith('W/') && ifRange.trim() === etag;
}
