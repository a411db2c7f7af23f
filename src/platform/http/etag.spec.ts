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
  });
});
