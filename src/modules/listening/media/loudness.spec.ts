import { parseEbur128Summary, replayGainDb } from './loudness';

const summary = (i: string, peak: string) => `[Parsed_ebur128_1 @ 0x1] Summary:

  Integrated loudness:
    I:         ${i} LUFS
    Threshold: -33.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:      ${peak} dBFS
`;

describe('parseEbur128Summary', () => {
  it('reads the last summary: ffmpeg 4.1 first logs an empty one from a discarded filter', () => {
    const log = `Input #0, wav\n${summary('-70.0', '-inf')}size=N/A time=00:00:20.00\n${summary('-23.0', '-22.9')}`;
    expect(parseEbur128Summary(log)).toEqual({ integratedLufs: -23, truePeakDbtp: -22.9 });
  });

  it('reports silence as null: −70 LUFS (the absolute gate) and a −inf peak', () => {
    expect(parseEbur128Summary(summary('-70.0', '-inf'))).toEqual({
      integratedLufs: null,
      truePeakDbtp: null,
    });
    expect(parseEbur128Summary(summary('-69.9', '-60.0'))).toEqual({
      integratedLufs: -69.9,
      truePeakDbtp: -60,
    });
    expect(parseEbur128Summary(summary('-5.2', '1.3'))).toEqual({ integratedLufs: -5.2, truePeakDbtp: 1.3 });
  });

  it('is null without a summary', () => {
    expect(parseEbur128Summary('Invalid data found when processing input')).toBeNull();
    expect(parseEbur128Summary('Summary:\n  Integrated loudness:\n')).toBeNull();
  });
});

describe('replayGainDb', () => {
  it('is the gain to −14 LUFS rounded to 0.01 dB, null for null', () => {
    expect(replayGainDb(-23)).toBe(9);
    expect(replayGainDb(-8.456)).toBe(-5.54);
    expect(replayGainDb(-14.004)).toBe(0);
    expect(Object.is(replayGainDb(-13.996), 0)).toBe(true); // never −0
    expect(replayGainDb(null)).toBeNull();
  });
});
