/**
 * Real audio for the tests, generated: tone melodies with noise (`piece`, shared with the demo
 * data in src/seed/), encoded as WAV, AIFF, AIFF-C and FLAC by writers of our own (independent
 * of the decoders the server uses), plus files that are not audio or are broken in chosen ways.
 */

import type { Pcm } from '../../src/seed/generated-audio';
export { piece, wav, type Pcm } from '../../src/seed/generated-audio';
import { wav as wavOf } from '../../src/seed/generated-audio';

/** A stereo sine at `hz` as a WAV: a voice tag that is easy to find in a tagged rendition. */
export function toneWav(seconds: number, hz = 3000): Buffer {
  const rate = 44100;
  const samples = new Int16Array(Math.round(seconds * rate) * 2);
  for (let i = 0; i < samples.length / 2; i++) {
    const v = Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 12000);
    samples[2 * i] = v;
    samples[2 * i + 1] = v;
  }
  return wavOf({ sampleRate: rate, channels: 2, samples });
}

/** IEEE 754 80-bit extended, as AIFF stores its sample rate. */
function extended80(value: number): Buffer {
  const out = Buffer.alloc(10);
  const exponent = Math.floor(Math.log2(value));
  out.writeUInt16BE(exponent + 16383, 0);
  const mantissa = value / 2 ** exponent; // in [1, 2)
  const hi = Math.floor(mantissa * 2 ** 31);
  const lo = Math.floor((mantissa * 2 ** 31 - hi) * 2 ** 32);
  out.writeUInt32BE(hi >>> 0, 2);
  out.writeUInt32BE(lo >>> 0, 6);
  return out;
}

/** AIFF (big-endian PCM), or AIFF-C with `compression` ('NONE' or 'sowt', little-endian). */
export function aiff(pcm: Pcm, compression?: 'NONE' | 'sowt' | 'ima4'): Buffer {
  const little = compression === 'sowt';
  const data = Buffer.alloc(pcm.samples.length * 2);
  pcm.samples.forEach((s, i) => (little ? data.writeInt16LE(s, i * 2) : data.writeInt16BE(s, i * 2)));
  const aifc = compression !== undefined;
  const comm = Buffer.alloc(aifc ? 24 : 18);
  comm.writeInt16BE(pcm.channels, 0);
  comm.writeUInt32BE(pcm.samples.length / pcm.channels, 2);
  comm.writeInt16BE(16, 6);
  extended80(pcm.sampleRate).copy(comm, 8);
  if (aifc) {
    comm.write(compression, 18, 'latin1');
    comm.writeUInt16BE(0, 22); // empty pascal string + pad
  }
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const ssnd = Buffer.concat([Buffer.alloc(8), data]);
  const chunks = [
    ...(aifc ? [chunk('FVER', Buffer.from([0xa2, 0x80, 0x51, 0x40]))] : []),
    chunk('COMM', comm),
    chunk('SSND', ssnd),
  ];
  const body = Buffer.concat([Buffer.from(aifc ? 'AIFC' : 'AIFF', 'latin1'), ...chunks]);
  const form = Buffer.alloc(8);
  form.write('FORM', 0, 'latin1');
  form.writeUInt32BE(body.length, 4);
  return Buffer.concat([form, body]);
}

// ---- FLAC (verbatim subframes: a valid, uncompressed FLAC stream) --------------------------

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | (Math.floor(value / 2 ** i) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }
  align(): void {
    while (this.n) this.write(0, 1);
  }
  get length(): number {
    return this.bytes.length;
  }
  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

function crc8(buf: Buffer): number {
  let crc = 0;
  for (const b of buf) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function crc16(buf: Buffer): number {
  let crc = 0;
  for (const b of buf) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** FLAC's UTF-8-like coding of the frame number. */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  if (n < 0x10000) return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
  return [0xf0 | (n >> 18), 0x80 | ((n >> 12) & 0x3f), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

export function flac(pcm: Pcm, opts: { corruptFrames?: boolean } = {}): Buffer {
  const block = 4096;
  const frames = pcm.samples.length / pcm.channels;
  const info = new BitWriter();
  info.write(block, 16);
  info.write(block, 16);
  info.write(0, 24);
  info.write(0, 24);
  info.write(pcm.sampleRate, 20);
  info.write(pcm.channels - 1, 3);
  info.write(15, 5); // 16 bits per sample
  info.write(frames, 36);
  info.write(0, 64);
  info.write(0, 64); // MD5 unknown
  const meta = Buffer.concat([Buffer.from([0x80, 0, 0, 34]), info.buffer()]);

  const RATE_CODES: Record<number, number> = {
    88200: 0b0001,
    176400: 0b0010,
    192000: 0b0011,
    8000: 0b0100,
    16000: 0b0101,
    22050: 0b0110,
    24000: 0b0111,
    32000: 0b1000,
    44100: 0b1001,
    48000: 0b1010,
    96000: 0b1011,
  };
  const rateCode = RATE_CODES[pcm.sampleRate] ?? 0b1101; // else: 16-bit rate in Hz after the header
  const out: Buffer[] = [Buffer.from('fLaC', 'latin1'), meta];
  for (let start = 0, index = 0; start < frames; start += block, index++) {
    const n = Math.min(block, frames - start);
    const h = new BitWriter();
    h.write(0b11111111111110, 14);
    h.write(0, 1);
    h.write(0, 1); // fixed block size
    h.write(n === block ? 0b1100 : 0b0111, 4); // 4096, or 16-bit size at the end of the header
    h.write(rateCode, 4); // explicit: decoders may see frames without STREAMINFO
    h.write(pcm.channels - 1, 4); // independent channels
    h.write(0b100, 3); // 16 bits per sample
    h.write(0, 1);
    for (const b of utf8Number(index)) h.write(b, 8);
    if (n !== block) h.write(n - 1, 16);
    if (rateCode === 0b1101) h.write(pcm.sampleRate, 16);
    const header = h.buffer();
    const w = new BitWriter();
    for (const b of header) w.write(b, 8);
    w.write(crc8(header), 8);
    for (let c = 0; c < pcm.channels; c++) {
      w.write(0, 1);
      w.write(0b000001, 6); // VERBATIM
      w.write(0, 1);
      for (let i = 0; i < n; i++) w.write(pcm.samples[(start + i) * pcm.channels + c] & 0xffff, 16);
    }
    w.align();
    let frame = w.buffer();
    if (opts.corruptFrames && index > 0) frame = Buffer.from(frame.map((b, i) => (i > 4 ? b ^ 0x5a : b)));
    const footer = Buffer.alloc(2);
    footer.writeUInt16BE(crc16(frame), 0);
    out.push(frame, footer);
  }
  return Buffer.concat(out);
}

/** An MP3-looking file: ID3 tag then an MPEG audio frame header. */
export function mp3(): Buffer {
  const id3 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0]);
  const frame = Buffer.alloc(417);
  frame.writeUInt32BE(0xfffb9064, 0);
  return Buffer.concat([id3, frame]);
}
