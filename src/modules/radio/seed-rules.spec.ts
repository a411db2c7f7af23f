import {
  bpmMatches,
  bpmWindows,
  camelotName,
  compatibleKeys,
  keyCode,
  keysCompatible,
  parseStationId,
  relatedGenres,
  ruleMatches,
  trackRule,
} from './seed-rules';

const name = (k: string) => {
  const c = keyCode(k);
  return c === null ? null : camelotName(c);
};

describe('keyCode (Camelot wheel)', () => {
  it.each([
    ['Am', '8A'],
    ['C', '8B'],
    ['A minor', '8A'],
    ['c major', '8B'],
    ['Cmaj', '8B'],
    ['Abm', '1A'],
    ['G#m', '1A'],
    ['B', '1B'],
    ['F#', '2B'],
    ['Gb', '2B'],
    ['Db', '3B'],
    ['C#', '3B'],
    ['Bbm', '3A'],
    ['A#min', '3A'],
    ['Fm', '4A'],
    ['Eb', '5B'],
    ['Cm', '5A'],
    ['Bb', '6B'],
    ['Gm', '6A'],
    ['F', '7B'],
    ['Dm', '7A'],
    ['G', '9B'],
    ['Em', '9A'],
    ['D', '10B'],
    ['Bm', '10A'],
    ['A', '11B'],
    ['F#m', '11A'],
    ['F♯ minor', '11A'],
    ['E', '12B'],
    ['C#m', '12A'],
    ['D♭m', '12A'],
    ['8A', '8A'],
    ['12b', '12B'],
    [' 1 A ', '1A'],
  ])('%s is %s', (key, camelot) => expect(name(key)).toBe(camelot));

  it.each([null, undefined, '', 'H', 'C##', '13A', '0B', 'Am7', 'dorian', 'C m m'])('%s has no key', (key) =>
    expect(keyCode(key)).toBeNull(),
  );

  it('enharmonic spellings are the same key', () => {
    expect(keyCode('C#m')).toBe(keyCode('Dbm'));
    expect(keyCode('E#')).toBe(keyCode('F'));
    expect(keyCode('Cb')).toBe(keyCode('B'));
  });
});

describe('compatibleKeys', () => {
  const names = (k: string) => compatibleKeys(keyCode(k)!).map(camelotName).sort();

  it('is the key, its relative and its two neighbours on the circle of fifths', () => {
    expect(names('Am')).toEqual(['7A', '8A', '8B', '9A']);
    expect(names('C')).toEqual(['7B', '8B', '8A', '9B'].sort());
  });

  it('wraps around 12 ↔ 1', () => {
    expect(names('1A')).toEqual(['12A', '1A', '1B', '2A']);
    expect(names('12B')).toEqual(['11B', '12A', '12B', '1B']);
  });

  it('is symmetric', () => {
    for (let a = 0; a < 24; a++)
      for (let b = 0; b < 24; b++) expect(keysCompatible(a, b)).toBe(keysCompatible(b, a));
  });

  it('never matches a track without a key', () => expect(keysCompatible(14, null)).toBe(false));
});

describe('bpmWindows', () => {
  it('is ±6 % around the tempo, half time and double time', () => {
    expect(bpmWindows(100)).toEqual([
      [47, 53],
      [94, 106],
      [188, 212],
    ]);
  });

  it('matches exactly the tempos within 6 % of the seed, its half or its double', () => {
    for (let seed = 50; seed <= 200; seed++)
      for (let bpm = 50; bpm <= 200; bpm++) {
        const near = [seed / 2, seed, seed * 2].some((c) => Math.abs(bpm - c) <= 0.06 * c + 1e-9);
        expect([seed, bpm, bpmMatches(seed, bpm)]).toEqual([seed, bpm, near]);
      }
  });
});

describe('stations', () => {
  it('parses the three kinds of station ids', () => {
    expect(parseStationId('genre:Trap')).toEqual({ type: 'genre', value: 'trap' });
    expect(parseStationId('artist:art_1')).toEqual({ type: 'artist', value: 'art_1' });
    expect(parseStationId('track:trk_1')).toEqual({ type: 'track', value: 'trk_1' });
    expect(parseStationId('mood:dark')).toBeNull();
    expect(parseStationId('genre:')).toBeNull();
    expect(parseStationId('trap')).toBeNull();
  });

  it('relates a genre to its family, itself first', () => {
    expect(relatedGenres('Trap')[0]).toBe('trap');
    expect(relatedGenres('trap')).toContain('drill');
    expect(relatedGenres('polka')).toEqual(['polka']);
  });

  it('a track rule holds for its own seed', () => {
    const seed = { genre: 'trap', artistId: null, bpm: 140, musicalKey: 'F#m' };
    const rule = trackRule(seed);
    expect(ruleMatches(rule, seed)).toBe(true);
    expect(ruleMatches(rule, { ...seed, musicalKey: 'C' })).toBe(false);
    expect(ruleMatches(rule, { ...seed, musicalKey: null })).toBe(false);
    expect(ruleMatches(rule, { ...seed, bpm: 70 })).toBe(true);
    expect(ruleMatches(rule, { ...seed, bpm: 120 })).toBe(false);
    expect(ruleMatches(rule, { ...seed, genre: 'drill' })).toBe(true);
    expect(ruleMatches(rule, { ...seed, genre: 'jazz' })).toBe(false);
  });
});
