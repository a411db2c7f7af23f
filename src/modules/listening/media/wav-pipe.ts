/**
 * Reads the WAV stream ffmpeg writes to a pipe: a RIFF header whose sizes are unknown (0xFFFFFFFF),
 * then 16-bit PCM until the end. The header carries the channel count and rate in the same byte
 * stream as the samples, so nothing depends on the order in which stdout and stderr are read, and
 * the audio keeps its own channels (a mono track is not spread to −3 dB stereo before its peaks).
 */
export interface PcmFormat {
  channels: number;
  sampleRate: number;
}

/** A header longer than this is not what ffmpeg writes: refuse instead of buffering. */
const MAX_HEADER_BYTES = 64 * 1024;

export class WavPipeReader {
  private header: Buffer[] = [];
  private headerBytes = 0;
  private found: PcmFormat | null = null;

  get format(): PcmFormat | null {
    return this.found;
  }

  /** The PCM bytes of this chunk (possibly empty), once the header has been read. */
  push(chunk: Buffer): Buffer {
    if (this.found) return chunk;
    this.header.push(chunk);
    this.headerBytes += chunk.length;
    const buf = Buffer.concat(this.header);
    const parsed = parseHeader(buf);
    if (parsed === 'more') {
      if (this.headerBytes > MAX_HEADER_BYTES) throw new Error('PCM stream header too long');
      return Buffer.alloc(0);
    }
    this.found = parsed.format;
    this.header = [];
    return buf.subarray(parsed.dataStart);
  }
}

function parseHeader(buf: Buffer): { format: PcmFormat; dataStart: number } | 'more' {
  if (buf.length < 12) return 'more';
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('PCM stream is not WAV');
  }
  let format: PcmFormat | null = null;
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'data') {
      if (!format) throw new Error('PCM stream has no format chunk');
      return { format, dataStart: pos + 8 };
    }
    if (pos + 8 + size > buf.length) return 'more';
    if (id === 'fmt ') {
      const channels = buf.readUInt16LE(pos + 10);
      const sampleRate = buf.readUInt32LE(pos + 12);
      const bits = buf.readUInt16LE(pos + 22);
      if (bits !== 16 || channels < 1 || sampleRate < 1) throw new Error('PCM stream is not 16-bit PCM');
      format = { channels, sampleRate };
    }
    pos += 8 + size + (size % 2);
  }
  return 'more';
}
