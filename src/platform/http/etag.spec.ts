import { etagOf, parseIfMatch } from './etag';

describe('If-Match', () => {
  it('reads strong and weak validators of our form', () => {
    expect(parseIfMatch('"7"')).toBe(7);
    expect(parseIfMatch('W/"7"')).toBe(7);
    expect(parseIfMatch(etagOf(12))).toBe(12);
  });

  it('treats absence and * as no precondition, anything else as matching nothing', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toBeUndefined();
    expect(parseIfMatch('7')).toBe(-1);
    expect(parseIfMatch('"abc"')).toBe(-1);
    // past PostgreSQL's integer: no version of ours, and never a query parameter
    expect(parseIfMatch('"99999999999999999999"')).toBe(-1);
    expect(parseIfMatch('"2147483648"')).toBe(-1);
    expect(parseIfMatch('"2147483647"')).toBe(2147483647);
  });
});
