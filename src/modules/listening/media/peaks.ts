/**
 * Waveform peaks in the BBC audiowaveform JSON format, version 2
 * (github.com/bbc/audiowaveform doc/DataFormat.md): `data` holds min,max per pixel. We keep one
 * channel (min and max over all channels of the audio) at 8 bits (−128..127).
 */
export interface Peaks {
  version: 2;
  channels: 1;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  length: number;
  data: number[];
}

export const BASE_SAMPLES_PER_PIXEL = 256;
/** Stored peaks stay at most this long: ~80 KB of JSON whatever the track's length. */
export const MAX_STORED_PIXELS = 20_000;
export const MIN_PIXELS = 64;
export const MAX_PIXELS = 4_000;

/** 16-bit sample to 8 bits as audiowaveform does (`>> 8`): −32768..32767 → −128..127, monotonic. */
const to8 = (sample16: number) => sample16 >> 8;

/** Output pixel `at` ← the min of mins and max of maxes of pixels [start, end) of `from`. */
function foldSpan(from: ArrayLike<number>, start: number, end: number, to: number[], at: number): void {
  let min = 127;
  let max = -128;
  for (let j = start; j < end; j++) {
    min = Math.min(min, from[2 * j]);
    max = Math.max(max, from[2 * j + 1]);
  }
  to[2 * at] = min;
  to[2 * at + 1] = max;
}

/**
 * Builds peaks from interleaved signed 16-bit little-endian PCM fed in chunks of any size (a chunk
 * may end inside a sample or a frame). Memory is two bytes per pixel, never the audio.
 *
 * The track's length is not known while it streams, so pixels are made at 256 samples per pixel
 * and `finish` zooms out by a whole factor when that gives more than `maxLength` pixels
 * (samples_per_pixel = 256·ceil(length/maxLength)). A whole factor makes the result exactly what a
 * direct pass at that resolution would give: min of mins and max of maxes.
 */
export class PeaksBuilder {
  private readonly frameBytes: number;
  private readonly carry: Buffer;
  private carried = 0;
  private pixels = new Int8Array(2 * 4096);
  private length = 0;
  private inPixel = 0;
  private min = 32767;
  private max = -32768;
  private totalFrames = 0;

  constructor(
    private readonly channels: number,
    private readonly samplesPerPixel = BASE_SAMPLES_PER_PIXEL,
    private readonly maxLength = MAX_STORED_PIXELS,
  ) {
    if (!Number.isInteger(channels) || channels < 1)
      throw new RangeError('channels must be a positive integer');
    if (!Number.isInteger(samplesPerPixel) || samplesPerPixel < 1)
      throw new RangeError('bad samples per pixel');
    this.frameBytes = 2 * channels;
    this.carry = Buffer.alloc(this.frameBytes);
  }

  /** Frames (samples per channel) consumed so far. */
  get frames(): number {
    return this.totalFrames;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    if (this.carried > 0) {
      // complete the frame the previous chunk ended inside
      const take = Math.min(this.frameBytes - this.carried, chunk.length);
      chunk.copy(this.carry, this.carried, 0, take);
      this.carried += take;
      offset = take;
      if (this.carried < this.frameBytes) return;
      this.addFrames(this.carry, 0, this.frameBytes);
      this.carried = 0;
    }
    const whole = offset + Math.floor((chunk.length - offset) / this.frameBytes) * this.frameBytes;
    this.addFrames(chunk, offset, whole);
    if (whole < chunk.length) {
      chunk.copy(this.carry, 0, whole);
      this.carried = chunk.length - whole;
    }
  }

  private addFrames(buf: Buffer, from: number, to: number): void {
    const { channels, samplesPerPixel } = this;
    let { min, max, inPixel } = this;
    for (let pos = from; pos < to; ) {
      for (let c = 0; c < channels; c++, pos += 2) {
        const s = buf.readInt16LE(pos);
        if (s < min) min = s;
        if (s > max) max = s;
      }
      if (++inPixel === samplesPerPixel) {
        this.emit(min, max);
        min = 32767;
        max = -32768;
        inPixel = 0;
      }
    }
    this.totalFrames += (to - from) / this.frameBytes;
    this.min = min;
    this.max = max;
    this.inPixel = inPixel;
  }

  private emit(min: number, max: number): void {
    if (2 * this.length + 2 > this.pixels.length) {
      const grown = new Int8Array(this.pixels.length * 2);
      grown.set(this.pixels);
      this.pixels = grown;
    }
    this.pixels[2 * this.length] = to8(min);
    this.pixels[2 * this.length + 1] = to8(max);
    this.length++;
  }

  /** The peaks, the last partial pixel included (as audiowaveform does); a trailing partial frame is dropped. */
  finish(sampleRate: number): Peaks {
    if (this.inPixel > 0) {
      this.emit(this.min, this.max);
      this.inPixel = 0;
    }
    const factor = Math.max(1, Math.ceil(this.length / this.maxLength));
    const length = Math.ceil(this.length / factor);
    const data = new Array<number>(2 * length);
    for (let i = 0; i < length; i++) {
      foldSpan(this.pixels, i * factor, Math.min(this.length, (i + 1) * factor), data, i);
    }
    return {
      version: 2,
      channels: 1,
      sample_rate: sampleRate,
      samples_per_pixel: this.samplesPerPixel * factor,
      bits: 8,
      length,
      data,
    };
  }
}

/**
 * Exactly `pixels` points (64–4000) over the whole track. Output pixel i covers stored pixels
 * [⌊i·L/pixels⌋, ⌊(i+1)·L/pixels⌋): zooming out takes the min of mins and the max of maxes over that
 * span, as audiowaveform does, so no peak is lost. Zooming in (pixels > L) repeats each stored
 * pixel (the span is then its one pixel) rather than interpolating, which would invent values the
 * audio never had. `samples_per_pixel` is an integer in the format, so it is the mean span rounded;
 * a player placing pixel i at i·samples_per_pixel is off by under half a sample per pixel.
 */
export function resamplePeaks(peaks: Peaks, pixels: number): Peaks {
  if (!Number.isInteger(pixels) || pixels < MIN_PIXELS || pixels > MAX_PIXELS) {
    throw new RangeError(`pixels must be an integer from ${MIN_PIXELS} to ${MAX_PIXELS}`);
  }
  const L = peaks.length;
  const data = new Array<number>(2 * pixels).fill(0);
  if (L > 0) {
    for (let i = 0; i < pixels; i++) {
      const start = Math.floor((i * L) / pixels);
      foldSpan(peaks.data, start, Math.max(start + 1, Math.floor(((i + 1) * L) / pixels)), data, i);
    }
  }
  return {
    version: 2,
    channels: 1,
    sample_rate: peaks.sample_rate,
    samples_per_pixel: Math.max(1, Math.round((peaks.samples_per_pixel * L) / pixels)),
    bits: 8,
    length: pixels,
    data,
  };
}
