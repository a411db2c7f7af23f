import { open } from 'node:fs/promises';
import { runFfmpeg } from './ffmpeg';

/**
 * Generated audio for the media specs: PCM16 WAV files written a second at a time (a 4-minute file
 * never sits in memory), and decoding back through ffmpeg for checks.
 */

// Bound once: under Jest every lookup of the global `Math` crosses its sandbox and costs ~10×,
// which made writing a 4-minute file take a minute.
const { sin, round, max, min, PI } = Math;

/** Sample value in −1..1 for channel `ch` at time `t` seconds. */
export type Signal = (t: number, ch: number) => number;

export const sine =
  (freq: number, amplitude: number): Signal =>
  (t) =>
    amplitude * sin(2 * PI * freq * t);

export const silence: Signal = () => 0;

/** A sine whose amplitude rises linearly from 0 to `to` over `seconds`. */
export const ramp =
  (freq: number, to: number, seconds: number): Signal =>
  (t) =>
    ((to * t) / seconds) * sin(2 * PI * freq * t);

/** `sig` between `from` and `to` seconds, silence elsewhere. */
export const burst =
  (sig: Signal, from: number, to: number): Signal =>
  (t, ch) =>
    t >= from && t < to ? sig(t, ch) : 0;

export const mix =
  (...sigs: Signal[]): Signal =>
  (t, ch) =>
    sigs.reduce((sum, s) => sum + s(t, ch), 0);

export const toInt16 = (v: number) => max(-32768, min(32767, round(v * 32767)));

export async function writeWav(
  path: string,
  opts: { seconds: number; sampleRate?: number; channels?: number; signal: Signal },
): Promise<void> {
  const { seconds, sampleRate = 44100, channels = 2, signal } = opts;
  const frames = round(seconds * sampleRate);
  const dataBytes = frames * channels * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  const fh = await open(path, 'w');
  try {
    await fh.write(header);
    const block = new Int16Array(sampleRate * channels); // little-endian on every platform we run on
    for (let start = 0; start < frames; start += sampleRate) {
      const n = min(sampleRate, frames - start);
      for (let i = 0; i < n; i++) {
        const t = (start + i) / sampleRate;
        for (let c = 0; c < channels; c++) block[i * channels + c] = toInt16(signal(t, c));
      }
      await fh.write(new Uint8Array(block.buffer, 0, n * channels * 2));
    }
  } finally {
    await fh.close();
  }
}

/** Decodes any file ffmpeg reads to mono float samples at `sampleRate` (small test files only). */
export async function decodeMono(path: string, sampleRate = 44100): Promise<Float32Array> {
  const chunks: Buffer[] = [];
  const run = await runFfmpeg(['-i', path, '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'], {
    onStdout: (c) => chunks.push(c),
  });
  if (run.code !== 0) throw new Error(`decode failed: ${run.lastLines}`);
  const all = Buffer.concat(chunks);
  const out = new Float32Array(all.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = all.readFloatLE(i * 4);
  return out;
}

/** Power of the `freq` component of `x[from..to)` (Goertzel), normalised so a sine of amplitude A gives A²/4. */
export function tonePower(
  x: Float32Array,
  sampleRate: number,
  freq: number,
  from: number,
  to: number,
): number {
  const k = 2 * Math.cos((2 * PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i] + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const n = to - from;
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / (n * n);
}
