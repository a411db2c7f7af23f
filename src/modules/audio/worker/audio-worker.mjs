// Audio work that must not run on the API's event loop, in worker threads (piscina):
//   probe:       decide the format from the bytes (WAV, AIFF/AIFC, FLAC), read its header,
//                duration and sample layout — cheap, used while accepting an upload;
//   fingerprint: decode the first 120 s to PCM and compute the Chromaprint raw fingerprint
//                (AcoustID's algorithm, the WebAssembly build in @unimusic/chromaprint).
// Both answer { ok: true, ... } or { ok: false, kind: 'unsupported' | 'corrupt', reason }, so
// the caller can tell a file we refuse from a file that is broken.
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const MAX_FINGERPRINT_SECONDS = 120;
const READ_CHUNK = 256 * 1024;

class AudioProblem extends Error {
  constructor(kind, reason) {
    super(reason);
    this.kind = kind;
  }
}
const unsupported = (reason) => new AudioProblem('unsupported', reason);
const corrupt = (reason) => new AudioProblem('corrupt', reason);

// ---- format detection and headers -----------------------------------------------------------

async function readAt(fh, position, length) {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

function sniff(head) {
  const tag = head.toString('latin1', 0, 4);
  if (tag === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE') return 'wav';
  if (tag === 'FORM') {
    const kind = head.toString('latin1', 8, 12);
    if (kind === 'AIFF') return 'aiff';
    if (kind === 'AIFC') return 'aifc';
  }
  if (tag === 'fLaC') return 'flac';
  if (tag.startsWith('ID3') || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0)) return 'mp3';
  return undefined;
}

/** ID3v2 tags sometimes precede a FLAC stream: skip them (size is syncsafe). */
function id3Length(head) {
  if (head.toString('latin1', 0, 3) !== 'ID3' || head.length < 10) return 0;
  const size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9];
  return 10 + size + (head[5] & 0x10 ? 10 : 0);
}

/**
 * Walks the chunks of a RIFF (WAV: little-endian sizes) or IFF (AIFF: big-endian) file after its
 * 12-byte header, each padded to an even length: `visit(id, offset of its body, its size)` for
 * each, until `visit` answers true (it has what it needs) or the file ends.
 */
async function walkChunks(fh, size, endian, visit) {
  let offset = 12;
  while (offset + 8 <= size) {
    const header = await readAt(fh, offset, 8);
    if (header.length < 8) return;
    const chunkSize = endian === 'le' ? header.readUInt32LE(4) : header.readUInt32BE(4);
    if (await visit(header.toString('latin1', 0, 4), offset + 8, chunkSize)) return;
    offset += 8 + chunkSize + (chunkSize & 1);
  }
}

async function wavInfo(fh, size) {
  let fmt;
  let data;
  await walkChunks(fh, size, 'le', async (id, start, chunkSize) => {
    if (id === 'fmt ') {
      const body = await readAt(fh, start, Math.min(chunkSize, 64));
      if (body.length < 16) throw corrupt('fmt chunk is truncated');
      let codec = body.readUInt16LE(0);
      if (codec === 0xfffe && body.length >= 26) codec = body.readUInt16LE(24); // WAVE_FORMAT_EXTENSIBLE
      fmt = {
        codec,
        channels: body.readUInt16LE(2),
        sampleRate: body.readUInt32LE(4),
        blockAlign: body.readUInt16LE(12),
        bits: body.readUInt16LE(14),
      };
    } else if (id === 'data') {
      data = { offset: start, length: Math.min(chunkSize, size - start) };
    }
    return Boolean(fmt && data);
  });
  if (!fmt) throw corrupt('no fmt chunk');
  if (!data) throw corrupt('no data chunk');
  // A format chunk that describes no possible stream is a broken file, not another codec: the
  // container was recognised (corrupt_audio_file). A real codec we do not decode is unsupported.
  if (
    fmt.codec === 0 ||
    fmt.bits === 0 ||
    !(fmt.channels >= 1 && fmt.channels <= 32) ||
    !(fmt.sampleRate >= 1000 && fmt.sampleRate <= 768000) ||
    ((fmt.codec === 1 || fmt.codec === 3) &&
      (fmt.bits % 8 !== 0 || fmt.blockAlign !== (fmt.bits / 8) * fmt.channels))
  ) {
    throw corrupt(`WAV format chunk is not valid (codec 0x${fmt.codec.toString(16)}, ${fmt.bits} bit)`);
  }
  const pcm = fmt.codec === 1 && [8, 16, 24, 32].includes(fmt.bits);
  const float = fmt.codec === 3 && [32, 64].includes(fmt.bits);
  if (!pcm && !float) throw unsupported(`WAV codec 0x${fmt.codec.toString(16)} / ${fmt.bits} bit is not PCM`);
  return layout(
    'wav',
    fmt.sampleRate,
    fmt.channels,
    fmt.bits,
    float ? 'float' : 'int',
    'le',
    fmt.bits === 8,
    data,
  );
}

function extended80(buf) {
  const exponent = ((buf[0] & 0x7f) << 8) | buf[1];
  const mantissa = buf.readUInt32BE(2) * 2 ** 32 + buf.readUInt32BE(6);
  if (exponent === 0 && mantissa === 0) return 0;
  return (buf[0] & 0x80 ? -1 : 1) * mantissa * 2 ** (exponent - 16383 - 63);
}

async function aiffInfo(fh, size, format) {
  let comm;
  let data;
  await walkChunks(fh, size, 'be', async (id, start, chunkSize) => {
    if (id === 'COMM') {
      const body = await readAt(fh, start, Math.min(chunkSize, 64));
      if (body.length < 18) throw corrupt('COMM chunk is truncated');
      comm = {
        channels: body.readInt16BE(0),
        frames: body.readUInt32BE(2),
        bits: body.readInt16BE(6),
        sampleRate: Math.round(extended80(body.subarray(8, 18))),
        compression: format === 'aifc' && body.length >= 22 ? body.toString('latin1', 18, 22) : 'NONE',
      };
    } else if (id === 'SSND') {
      const body = await readAt(fh, start, 8);
      if (body.length < 8) throw corrupt('SSND chunk is truncated');
      const samples = start + 8 + body.readUInt32BE(0);
      data = { offset: samples, length: Math.max(0, Math.min(chunkSize - 8, size - samples)) };
    }
    return Boolean(comm && data);
  });
  if (!comm) throw corrupt('no COMM chunk');
  if (!data) throw corrupt('no SSND chunk');
  const c = comm.compression;
  if (c === 'NONE' || c === 'twos' || c === 'sowt') {
    if (![8, 16, 24, 32].includes(comm.bits)) throw corrupt(`unsupported sample size ${comm.bits}`);
    return layout(
      format,
      comm.sampleRate,
      comm.channels,
      comm.bits,
      'int',
      c === 'sowt' ? 'le' : 'be',
      false,
      data,
    );
  }
  if (c === 'fl32' || c === 'FL32')
    return layout(format, comm.sampleRate, comm.channels, 32, 'float', 'be', false, data);
  if (c === 'fl64' || c === 'FL64')
    return layout(format, comm.sampleRate, comm.channels, 64, 'float', 'be', false, data);
  throw unsupported(`AIFF-C compression ${c}`);
}

function layout(format, sampleRate, channels, bits, sampleType, endian, unsigned8, data) {
  if (!(channels >= 1 && channels <= 32)) throw corrupt(`invalid channel count ${channels}`);
  if (!(sampleRate >= 1000 && sampleRate <= 768000)) throw corrupt(`invalid sample rate ${sampleRate}`);
  const frameBytes = (bits / 8) * channels;
  const frames = Math.floor(data.length / frameBytes);
  return {
    format,
    sampleRate,
    channels,
    bitsPerSample: bits,
    frames,
    durationMs: Math.floor((frames * 1000) / sampleRate),
    pcm: { sampleType, endian, unsigned8, frameBytes, dataOffset: data.offset },
  };
}

async function flacInfo(fh, size, start) {
  const head = await readAt(fh, start, 42);
  if (head.length < 42) throw corrupt('FLAC header is truncated');
  const blockType = head[4] & 0x7f;
  const blockLength = head.readUIntBE(5, 3);
  if (blockType !== 0 || blockLength !== 34) throw corrupt('FLAC stream does not start with STREAMINFO');
  const si = head.subarray(8, 42);
  const minBlock = si.readUInt16BE(0);
  const sampleRate = (si[10] << 12) | (si[11] << 4) | (si[12] >> 4);
  const channels = ((si[12] >> 1) & 0x07) + 1;
  const bits = (((si[12] & 0x01) << 4) | (si[13] >> 4)) + 1;
  const totalSamples = (si[13] & 0x0f) * 2 ** 32 + si.readUInt32BE(14);
  if (minBlock < 16 || sampleRate === 0) throw corrupt('invalid STREAMINFO');
  let frames = totalSamples;
  if (!frames) frames = (await decodeFlac(fh, size, start, Infinity)).frames; // length not in the header
  return {
    format: 'flac',
    sampleRate,
    channels,
    bitsPerSample: bits,
    frames,
    durationMs: Math.floor((frames * 1000) / sampleRate),
    flacStart: start,
  };
}

async function inspect(fh) {
  const { size } = await fh.stat();
  let head = await readAt(fh, 0, 64);
  let start = 0;
  if (head.toString('latin1', 0, 3) === 'ID3') {
    start = id3Length(head);
    const after = await readAt(fh, start, 4);
    if (after.toString('latin1') === 'fLaC') return flacInfo(fh, size, start);
  }
  const format = sniff(head);
  if (format === 'wav') return wavInfo(fh, size);
  if (format === 'aiff' || format === 'aifc') return aiffInfo(fh, size, format);
  if (format === 'flac') return flacInfo(fh, size, 0);
  throw unsupported(format === 'mp3' ? 'MP3 is not accepted' : 'not WAV, FLAC or AIFF');
}

// ---- decoding -----------------------------------------------------------------------------

/** Mono 16-bit PCM of the first `seconds` of a PCM (WAV/AIFF) file. */
async function decodePcm(fh, info, seconds) {
  const frames = Math.min(info.frames, Math.floor(seconds * info.sampleRate));
  const { frameBytes, dataOffset, sampleType, endian, unsigned8 } = info.pcm;
  const raw = await readAt(fh, dataOffset, frames * frameBytes);
  const got = Math.floor(raw.length / frameBytes);
  const out = new Int16Array(got);
  const bytes = info.bitsPerSample / 8;
  const le = endian === 'le';
  const read = (pos) => {
    if (sampleType === 'float') {
      const v =
        bytes === 4
          ? le
            ? raw.readFloatLE(pos)
            : raw.readFloatBE(pos)
          : le
            ? raw.readDoubleLE(pos)
            : raw.readDoubleBE(pos);
      return Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) * 32767 : 0;
    }
    switch (bytes) {
      case 1:
        return unsigned8 ? (raw[pos] - 128) << 8 : raw.readInt8(pos) << 8;
      case 2:
        return le ? raw.readInt16LE(pos) : raw.readInt16BE(pos);
      case 3:
        return (le ? raw.readIntLE(pos, 3) : raw.readIntBE(pos, 3)) >> 8;
      default:
        return (le ? raw.readInt32LE(pos) : raw.readInt32BE(pos)) >> 16;
    }
  };
  for (let f = 0; f < got; f++) {
    let sum = 0;
    for (let c = 0; c < info.channels; c++) sum += read(f * frameBytes + c * bytes);
    out[f] = Math.round(sum / info.channels);
  }
  return out;
}

// The decoder prints every frame error to the console; they are returned to us as well.
const consoleError = console.error.bind(console);
console.error = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('@wasm-audio-decoders/flac')) return;
  consoleError(...args);
};

let flacModule;
async function flacDecoderClass() {
  flacModule ??= import('@wasm-audio-decoders/flac');
  return (await flacModule).FLACDecoder;
}

/** Decodes a FLAC stream chunk by chunk until `maxFrames` frames: mono Int16 + frame count. */
async function decodeFlac(fh, size, start, maxFrames) {
  const FLACDecoder = await flacDecoderClass();
  const decoder = new FLACDecoder();
  await decoder.ready;
  const parts = [];
  let frames = 0;
  const take = (decoded) => {
    if (decoded.errors?.length)
      throw corrupt(`FLAC frame error: ${decoded.errors[0].message ?? 'undecodable frame'}`);
    if (!decoded.samplesDecoded) return;
    const channels = decoded.channelData;
    const n = Math.min(decoded.samplesDecoded, maxFrames - frames);
    if (n <= 0) return;
    const mono = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (const ch of channels) sum += ch[i];
      mono[i] = Math.max(-1, Math.min(1, sum / channels.length)) * 32767;
    }
    parts.push(mono);
    frames += n;
  };
  try {
    for (let pos = start; pos < size && frames < maxFrames; pos += READ_CHUNK) {
      take(await decoder.decode(await readAt(fh, pos, READ_CHUNK)));
    }
    if (frames < maxFrames) take(await decoder.flush());
  } finally {
    decoder.free();
  }
  if (!frames) throw corrupt('no decodable FLAC frames');
  const out = new Int16Array(frames);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { pcm: out, frames };
}

// ---- Chromaprint --------------------------------------------------------------------------

let chromaprint;
async function chromaprintModule() {
  if (!chromaprint) {
    // The build targets browsers: it looks for `window` while loading.
    globalThis.window ??= globalThis;
    const pkg = require.resolve('@unimusic/chromaprint/package.json');
    const dir = pkg.slice(0, -'package.json'.length);
    const { default: create } = await import(`${dir}dist/chromaprint.js`);
    chromaprint = create({ wasmBinary: readFileSync(`${dir}dist/chromaprint.wasm`) });
  }
  return chromaprint;
}

/** Chromaprint raw fingerprint (default algorithm) of mono 16-bit PCM. */
async function rawFingerprint(pcm, sampleRate) {
  const M = await chromaprintModule();
  const ctx = M._chromaprint_new(1);
  const samples = M._malloc(Math.max(2, pcm.length * 2));
  const sizePtr = M._malloc(4);
  const dataPtr = M._malloc(4);
  try {
    if (!M._chromaprint_start(ctx, sampleRate, 1)) throw corrupt('fingerprinter refused the stream');
    M.HEAP16.set(pcm, samples / 2);
    if (!M._chromaprint_feed(ctx, samples, pcm.length)) throw corrupt('fingerprinter refused the audio');
    if (!M._chromaprint_finish(ctx)) throw corrupt('fingerprinter failed');
    if (!M._chromaprint_get_raw_fingerprint(ctx, dataPtr, sizePtr)) return new Int32Array(0);
    const size = M.HEAP32[sizePtr / 4];
    const raw = M.HEAP32[dataPtr / 4];
    const out = Int32Array.from(M.HEAP32.subarray(raw / 4, raw / 4 + size));
    M._free(raw);
    return out;
  } finally {
    M._free(samples);
    M._free(sizePtr);
    M._free(dataPtr);
    M._chromaprint_free(ctx);
  }
}

// ---- entry points -------------------------------------------------------------------------

async function withFile(path, fn) {
  const fh = await open(path, 'r');
  try {
    return await fn(fh);
  } catch (err) {
    if (err instanceof AudioProblem) return { ok: false, kind: err.kind, reason: err.message };
    if (err instanceof RangeError) return { ok: false, kind: 'corrupt', reason: err.message };
    throw err;
  } finally {
    await fh.close();
  }
}

export async function probe(path) {
  return withFile(path, async (fh) => {
    const info = await inspect(fh);
    return {
      ok: true,
      format: info.format,
      sampleRate: info.sampleRate,
      channels: info.channels,
      bitsPerSample: info.bitsPerSample,
      durationMs: info.durationMs,
    };
  });
}

export async function fingerprint(path) {
  return withFile(path, async (fh) => {
    const info = await inspect(fh);
    const maxFrames = Math.floor(MAX_FINGERPRINT_SECONDS * info.sampleRate);
    let pcm;
    if (info.format === 'flac') {
      const decoded = await decodeFlac(fh, (await fh.stat()).size, info.flacStart, maxFrames);
      // frames that fail their checks are skipped by the parser: fewer samples than the header
      // promises means the stream is broken
      if (decoded.frames < Math.min(maxFrames, info.frames) * 0.99) {
        throw corrupt(
          `FLAC stream decodes to ${decoded.frames} of ${Math.min(maxFrames, info.frames)} samples`,
        );
      }
      pcm = decoded.pcm;
    } else {
      pcm = await decodePcm(fh, info, MAX_FINGERPRINT_SECONDS);
    }
    const fp = await rawFingerprint(pcm, info.sampleRate);
    return { ok: true, fingerprint: Array.from(fp), durationMs: info.durationMs };
  });
}

export default async function run({ op, path }) {
  if (op === 'probe') return probe(path);
  if (op === 'fingerprint') return fingerprint(path);
  throw new Error(`unknown audio operation ${op}`);
}
