import { WavPipeReader } from './wav-pipe';

/** What ffmpeg's wav muxer writes to a pipe: unknown sizes, an optional LIST chunk, then data. */
function stream(channels: number, rate: number, bits = 16, withList = true): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * channels * 2, 16);
  fmt.writeUInt16LE(channels * 2, 20);
  fmt.writeUInt16LE(bits, 22);
  const list = Buffer.from('LIST\x05\x00\x00\x00INFOx\x00', 'latin1'); // odd size: padded
  const samples = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
  return Buffer.concat([
    Buffer.from('RIFF\xff\xff\xff\xffWAVE', 'latin1'),
    fmt,
    withList ? list : Buffer.alloc(0),
    Buffer.from('data\xff\xff\xff\xff', 'latin1'),
    samples,
  ]);
}

describe('WavPipeReader', () => {
  it('finds the format and the PCM wherever the chunks split the header', () => {
    const bytes = stream(1, 22050);
    for (let split = 0; split <= bytes.length; split++) {
      const r = new WavPipeReader();
      const pcm = Buffer.concat([r.push(bytes.subarray(0, split)), r.push(bytes.subarray(split))]);
      expect(r.format).toEqual({ channels: 1, sampleRate: 22050 });
      expect([...pcm]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
    const plain = new WavPipeReader();
    expect([...plain.push(stream(6, 48000, 16, false))]).toHaveLength(8);
    expect(plain.format).toEqual({ channels: 6, sampleRate: 48000 });
  });

  it('refuses a stream that is not 16-bit WAV', () => {
    expect(() => new WavPipeReader().push(Buffer.from('OggS0000000000000000'))).toThrow('not WAV');
    expect(() => new WavPipeReader().push(stream(2, 44100, 24))).toThrow('not 16-bit');
  });
});
