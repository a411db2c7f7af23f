/**
 * Audio made from numbers, for the demo data (and the tests): a melody of tones with a little
 * noise, encoded as 16-bit PCM WAV. Different seeds give different pieces, so their Chromaprint
 * fingerprints differ; the same seed always gives the same bytes.
 */

/** Deterministic pseudo-random numbers (LCG), so a seed always gives the same piece. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export interface Pcm {
  /** interleaved 16-bit samples */
  samples: Int16Array;
  sampleRate: number;
  channels: number;
}

/**
 * A melody of quarter-second tones (with a fifth above) and a little noise. Different seeds
 * give different pieces; `gain` scales the level.
 */
export function piece(
  seed: number,
  seconds: number,
  opts: { sampleRate?: number; channels?: number; gain?: number } = {},
): Pcm {
  const sampleRate = opts.sampleRate ?? 44_100;
  const channels = opts.channels ?? 1;
  const gain = opts.gain ?? 1;
  const notes = rng(seed);
  const noise = rng(seed + 7919);
  const frames = Math.round(seconds * sampleRate);
  const out = new Int16Array(frames * channels);
  const noteLength = Math.floor(sampleRate / 4);
  let f = 220;
  for (let i = 0; i < frames; i++) {
    if (i % noteLength === 0) f = 110 * 2 ** (Math.floor(notes() * 36) / 12);
    const t = i / sampleRate;
    const v =
      0.5 * Math.sin(2 * Math.PI * f * t) +
      0.25 * Math.sin(2 * Math.PI * f * 1.5 * t) +
      0.1 * (noise() * 2 - 1);
    const s = Math.max(-32768, Math.min(32767, Math.round(v * gain * 16000)));
    for (let c = 0; c < channels; c++) out[i * channels + c] = s;
  }
  return { samples: out, sampleRate, channels };
}

export function wav(pcm: Pcm): Buffer {
  const data = Buffer.alloc(pcm.samples.length * 2);
  pcm.samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(pcm.channels, 22);
  header.writeUInt32LE(pcm.sampleRate, 24);
  header.writeUInt32LE(pcm.sampleRate * pcm.channels * 2, 28);
  header.writeUInt16LE(pcm.channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
