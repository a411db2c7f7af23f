import { PeaksBuilder, Peaks, resamplePeaks } from './peaks';
import { ramp, Signal, toInt16 } from './test-signals';

/** Interleaved s16le PCM of `signal`, `frames` frames. */
function pcm(signal: Signal, frames: number, channels: number, rate = 44100): Buffer {
  const buf = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) buf.writeInt16LE(toInt16(signal(i / rate, c)), (i * channels + c) * 2);
  }
  return buf;
}

function build(buf: Buffer, channels: number, chunk: number, spp?: number, maxLength?: number): Peaks {
  const b = new PeaksBuilder(channels, spp, maxLength);
  for (let i = 0; i < buf.length; i += chunk) b.push(buf.subarray(i, i + chunk));
  return b.finish(44100);
}

describe('PeaksBuilder', () => {
  it('follows the envelope of a sine whose amplitude rises linearly (within 2 LSB of 8 bits)', () => {
    const seconds = 3;
    const frames = 44100 * seconds;
    const peaks = build(pcm(ramp(1000, 0.9, seconds), frames, 2), 2, 4099); // odd chunks split frames
    expect(peaks).toMatchObject({
      version: 2,
      channels: 1,
      sample_rate: 44100,
      samples_per_pixel: 256,
      bits: 8,
    });
    expect(peaks.length).toBe(Math.ceil(frames / 256));
    expect(peaks.data).toHaveLength(2 * peaks.length);
    for (let i = 0; i < peaks.length - 1; i++) {
      // the loudest sample of a pixel is near its end, where the ramp is highest
      const t = Math.min(frames, (i + 1) * 256) / 44100;
      const expected = (0.9 * t * 32767) / seconds / 256;
      expect(Math.abs(peaks.data[2 * i + 1] - expected)).toBeLessThanOrEqual(2);
      expect(Math.abs(peaks.data[2 * i] + expected)).toBeLessThanOrEqual(2);
    }
  });

  it('gives the same peaks whatever the chunk boundaries (inside samples and frames)', () => {
    const buf = pcm(ramp(440, 0.7, 1), 10_000, 2);
    const whole = build(buf, 2, buf.length);
    for (const chunk of [1, 3, 5, 7, 1023]) expect(build(buf, 2, chunk)).toEqual(whole);
  });

  it('takes min and max over all channels, and keeps the last partial pixel', () => {
    // left only positive, right only negative: one channel's peaks would lose half the waveform
    const signal: Signal = (t, ch) => (ch === 0 ? 0.5 : -0.25) * (1 - t);
    const peaks = build(pcm(signal, 1000, 2), 2, 64);
    expect(peaks.length).toBe(4); // 3 full pixels of 256 and one of 232
    expect(peaks.data.slice(0, 2)).toEqual([toInt16(-0.25) >> 8, toInt16(0.5) >> 8]);
    expect(peaks.data.slice(6)).toEqual([
      toInt16(-0.25 * (1 - 768 / 44100)) >> 8,
      toInt16(0.5 * (1 - 768 / 44100)) >> 8,
    ]);
  });

  it('zooms out by a whole factor past maxLength, exactly as a direct pass at that resolution', () => {
    const buf = pcm(ramp(300, 1, 2), 88_200, 1);
    const coarse = build(buf, 1, 4096, 256, 100); // 345 pixels of 256 → factor 4
    expect(coarse.samples_per_pixel).toBe(1024);
    expect(coarse.length).toBeLessThanOrEqual(100);
    expect(coarse).toEqual(build(buf, 1, 4096, 1024, 100));
  });

  it('maps 16-bit full scale to −128..127', () => {
    const b = new PeaksBuilder(1);
    const buf = Buffer.alloc(4);
    buf.writeInt16LE(-32768, 0);
    buf.writeInt16LE(32767, 2);
    b.push(buf);
    expect(b.finish(8000).data).toEqual([-128, 127]);
  });
});

describe('resamplePeaks', () => {
  const base = build(pcm(ramp(500, 0.8, 4), 44100 * 4, 2), 2, 8192); // 690 pixels

  const globalMinMax = (p: Peaks) => [
    Math.min(...p.data.filter((_, i) => i % 2 === 0)),
    Math.max(...p.data.filter((_, i) => i % 2 === 1)),
  ];

  it.each([64, 100, 689, 690, 691, 1000, 4000])(
    'gives exactly %i points and keeps the global min and max',
    (n) => {
      const r = resamplePeaks(base, n);
      expect(r.length).toBe(n);
      expect(r.data).toHaveLength(2 * n);
      expect(globalMinMax(r)).toEqual(globalMinMax(base));
      expect(r).toMatchObject({ version: 2, channels: 1, bits: 8, sample_rate: 44100 });
      expect(r.samples_per_pixel).toBe(Math.round((256 * base.length) / n));
    },
  );

  it('takes the min of mins and max of maxes over each span when zooming out', () => {
    const r = resamplePeaks(base, 69); // exactly 10 stored pixels each
    for (let i = 0; i < 69; i++) {
      const span = base.data.slice(20 * i, 20 * (i + 1));
      expect(r.data[2 * i]).toBe(Math.min(...span.filter((_, j) => j % 2 === 0)));
      expect(r.data[2 * i + 1]).toBe(Math.max(...span.filter((_, j) => j % 2 === 1)));
    }
  });

  it('repeats stored pixels when zooming in', () => {
    const r = resamplePeaks(base, 1380); // each stored pixel twice
    for (let i = 0; i < 1380; i++) {
      expect([r.data[2 * i], r.data[2 * i + 1]]).toEqual([
        base.data[2 * (i >> 1)],
        base.data[2 * (i >> 1) + 1],
      ]);
    }
  });

  it('refuses pixel counts outside 64–4000 and gives flat peaks for empty audio', () => {
    for (const n of [63, 4001, 100.5, Number.NaN]) expect(() => resamplePeaks(base, n)).toThrow(RangeError);
    const empty = new PeaksBuilder(2).finish(44100);
    expect(empty.length).toBe(0);
    expect(resamplePeaks(empty, 64).data).toEqual(new Array(128).fill(0));
  });
});
