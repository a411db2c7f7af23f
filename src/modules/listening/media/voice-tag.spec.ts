import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aiff, flac, mp3, piece } from '../../../../test/support/audio';
import { probeVoiceTag } from './voice-tag';
import { silence, sine, writeWav } from './test-signals';

describe('probeVoiceTag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voice-tag-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const wav = async (name: string, seconds: number, signal = sine(1000, 0.3)) => {
    const p = join(dir, name);
    await writeWav(p, { seconds, signal });
    return p;
  };

  it('accepts a 5 s WAV and reports its duration', async () => {
    expect(await probeVoiceTag(await wav('five.wav', 5), 10)).toEqual({ ok: true, durationMs: 5000 });
  });

  it('accepts FLAC and AIFF, whatever the file is called', async () => {
    const p = piece(1, 3, { channels: 2 });
    for (const [name, bytes] of [
      ['tag.bin', flac(p)],
      ['tag.wav', aiff(p)],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const r = await probeVoiceTag(path, 10);
      expect(r.ok).toBe(true);
      if (r.ok) expect(Math.abs(r.durationMs - 3000)).toBeLessThanOrEqual(30);
    }
  });

  it('refuses a tag longer than the limit (12 s against 10 s), and takes one of exactly the limit', async () => {
    expect(await probeVoiceTag(await wav('twelve.wav', 12), 10)).toEqual({
      ok: false,
      reason: 'longer than 10 s',
    });
    expect(await probeVoiceTag(await wav('ten.wav', 10), 10)).toEqual({ ok: true, durationMs: 10_000 });
  });

  it('refuses text, MP3 and what does not decode', async () => {
    const text = join(dir, 'tag.txt'); // ffmpeg alone would open a .txt with its `tty` demuxer
    writeFileSync(text, 'this is a voice tag, honest\n'.repeat(50));
    expect(await probeVoiceTag(text, 10)).toEqual({ ok: false, reason: 'not WAV, FLAC or AIFF' });
    const mp3File = join(dir, 'tag.mp3');
    writeFileSync(mp3File, mp3());
    expect(await probeVoiceTag(mp3File, 10)).toEqual({ ok: false, reason: 'not WAV, FLAC or AIFF' });
    const broken = join(dir, 'broken.wav');
    writeFileSync(
      broken,
      Buffer.concat([Buffer.from('RIFF\x00\x10\x00\x00WAVE', 'latin1'), Buffer.alloc(200, 0xab)]),
    );
    expect(await probeVoiceTag(broken, 10)).toEqual({ ok: false, reason: 'could not be decoded' });
  });

  it('refuses an empty tag and one of digital silence', async () => {
    expect(await probeVoiceTag(await wav('empty.wav', 0), 10)).toEqual({ ok: false, reason: 'empty' });
    expect(await probeVoiceTag(await wav('silent.wav', 3, silence), 10)).toEqual({
      ok: false,
      reason: 'silent',
    });
  });
});
