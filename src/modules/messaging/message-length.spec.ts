import { visibleLength } from './messaging.service';

describe('visibleLength (characters as a user sees them)', () => {
  it('counts grapheme clusters, not UTF-16 units', () => {
    expect(visibleLength('hello', 10)).toBe(5);
    expect(visibleLength('👍🏽', 10)).toBe(1); // emoji + skin tone: 4 UTF-16 units
    expect(visibleLength('e\u0301', 10)).toBe(1); // e + combining accent
    expect(visibleLength('👨‍👩‍👧', 10)).toBe(1); // a family joined by ZWJ
    expect(visibleLength('🇫🇷🇩🇪', 10)).toBe(2); // two flags
  });

  it('stops counting past the limit', () => {
    expect(visibleLength('x'.repeat(10_000), 2000)).toBe(2001);
  });
});
