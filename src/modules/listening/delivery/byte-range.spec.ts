import { ifRangeAllows, parseRange } from './byte-range';

const full = { kind: 'full' };
const none = { kind: 'unsatisfiable' };
const part = (start: number, end: number) => ({ kind: 'partial', start, end });

describe('parseRange', () => {
  it('answers the whole body without a header', () => {
    expect(parseRange(undefined, 1000)).toEqual(full);
  });

  it('reads bytes=a-b, bytes=a- and bytes=-n', () => {
    expect(parseRange('bytes=0-499', 1000)).toEqual(part(0, 499));
    expect(parseRange('bytes=500-999', 1000)).toEqual(part(500, 999));
    expect(parseRange('bytes=900-', 1000)).toEqual(part(900, 999));
    expect(parseRange('bytes=0-', 1000)).toEqual(part(0, 999));
    expect(parseRange('bytes=-100', 1000)).toEqual(part(900, 999));
  });

  it('serves a single byte: bytes=0-0 and the last byte', () => {
    expect(parseRange('bytes=0-0', 1000)).toEqual(part(0, 0));
    expect(parseRange('bytes=999-999', 1000)).toEqual(part(999, 999));
    expect(parseRange('bytes=-1', 1000)).toEqual(part(999, 999));
    expect(parseRange('bytes=0-0', 1)).toEqual(part(0, 0));
  });

  it('clamps an end past the file to its last byte', () => {
    expect(parseRange('bytes=500-5000', 1000)).toEqual(part(500, 999));
    expect(parseRange(`bytes=0-${'9'.repeat(30)}`, 1000)).toEqual(part(0, 999));
  });

  it('serves the whole file for a suffix at least as long as it', () => {
    expect(parseRange('bytes=-1000', 1000)).toEqual(part(0, 999));
    expect(parseRange('bytes=-5000', 1000)).toEqual(part(0, 999));
  });

  it('finds a start at or past the end unsatisfiable', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual(none);
    expect(parseRange('bytes=1000-1001', 1000)).toEqual(none);
    expect(parseRange('bytes=5000-6000', 1000)).toEqual(none);
    expect(parseRange(`bytes=${'9'.repeat(30)}-`, 1000)).toEqual(none);
  });

  it('finds a zero-length suffix unsatisfiable', () => {
    expect(parseRange('bytes=-0', 1000)).toEqual(none);
  });

  it('handles a zero-byte file: a suffix range is the (empty) whole, any other range unsatisfiable', () => {
    expect(parseRange('bytes=-10', 0)).toEqual(full);
    expect(parseRange('bytes=0-', 0)).toEqual(none);
    expect(parseRange('bytes=0-0', 0)).toEqual(none);
    expect(parseRange('bytes=-0', 0)).toEqual(none);
    expect(parseRange(undefined, 0)).toEqual(full);
  });

  it('ignores a malformed header (the whole body, RFC 9110 §14.2)', () => {
    for (const header of [
      '',
      'bytes',
      'bytes=',
      'bytes=,',
      'bytes=abc',
      'bytes=1-a',
      'bytes=-',
      'bytes=--5',
      'bytes=5',
      'bytes=+1-2',
      'bytes=1.5-2',
      'bytes=0x10-',
      'bytes=1 -2',
      'bytes = 0-1',
      'bytes=0-1;x',
      'bytes=500-100', // last before first: invalid
      'bytes=0-1,abc', // one bad spec spoils the header
      'items=0-1', // another unit
      '0-1',
    ]) {
      expect([header, parseRange(header, 1000)]).toEqual([header, full]);
    }
  });

  it('takes the unit in any case and tolerates whitespace around list items', () => {
    expect(parseRange('Bytes=0-9', 1000)).toEqual(part(0, 9));
    expect(parseRange('BYTES=0-9', 1000)).toEqual(part(0, 9));
    expect(parseRange('  bytes=0-9  ', 1000)).toEqual(part(0, 9));
    expect(parseRange('bytes= 0-9 ,', 1000)).toEqual(part(0, 9));
    expect(parseRange('bytes=,,0-9', 1000)).toEqual(part(0, 9));
  });

  it('answers several ranges with the whole body, unless only one of them is satisfiable', () => {
    expect(parseRange('bytes=0-9,20-29', 1000)).toEqual(full);
    expect(parseRange('bytes=0-9, -5', 1000)).toEqual(full);
    expect(parseRange('bytes=0-9,5000-6000', 1000)).toEqual(part(0, 9));
    expect(parseRange('bytes=5000-,-0,10-19', 1000)).toEqual(part(10, 19));
    expect(parseRange('bytes=5000-6000,7000-', 1000)).toEqual(none);
  });
});

describe('ifRangeAllows', () => {
  const etag = '"3f2a"';

  it('lets the range apply without If-Range', () => {
    expect(ifRangeAllows(undefined, etag)).toBe(true);
  });

  it('lets the range apply for the same strong tag, exactly', () => {
    expect(ifRangeAllows('"3f2a"', etag)).toBe(true);
    expect(ifRangeAllows(' "3f2a" ', etag)).toBe(true);
  });

  it('sends the whole body for anything else', () => {
    expect(ifRangeAllows('"3f2b"', etag)).toBe(false);
    expect(ifRangeAllows('W/"3f2a"', etag)).toBe(false); // weak tags never match in If-Range
    expect(ifRangeAllows('3f2a', etag)).toBe(false);
    expect(ifRangeAllows('"3F2A"', etag)).toBe(false);
    expect(ifRangeAllows('Tue, 15 Nov 1994 08:12:31 GMT', etag)).toBe(false); // a date: no Last-Modified here
    expect(ifRangeAllows('', etag)).toBe(false);
    expect(ifRangeAllows('*', etag)).toBe(false);
  });

  it('never matches a weak current tag', () => {
    expect(ifRangeAllows('W/"3f2a"', 'W/"3f2a"')).toBe(false);
  });
});
