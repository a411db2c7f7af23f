import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aiff, flac, mp3, piece, wav } from '../../../test/support/audio';
import { AudioToolkit } from './audio-toolkit';
import { similarity } from './fingerprint-matching';

describe('AudioToolkit (worker threads)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audio-'));
  const toolkit = new AudioToolkit();
  const file = (name: string, bytes: Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  afterAll(async () => {
    await toolkit.onModuleDestroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decides the format from the bytes and reads the duration', async () => {
    const p = piece(1, 3, { channels: 2 });
    for (const [name, bytes, format] of [
      ['a.bin', wav(p), 'wav'],
      ['b.mp3', aiff(p), 'aiff'],
      ['c.wav', aiff(p, 'sowt'), 'aifc'],
      ['d.xyz', flac(p), 'flac'],
    ] as const) {
      const r = await toolkit.probe(file(name, bytes));
      expect(r).toMatchObject({ ok: true, format, sampleRate: 44100, channels: 2, durationMs: 3000 });
    }
  });

  it('refuses MP3 and non-audio as unsupported, broken headers as corrupt', async () => {
    expect(await toolkit.probe(file('x.wav', mp3()))).toMatchObject({ ok: false, kind: 'unsupported' });
    expect(await toolkit.probe(file('y.flac', Buffer.from('hello world, not audio at all')))).toMatchObject({
      ok: false,
      kind: 'unsupported',
    });
    const broken = wav(piece(1, 1)).subarray(0, 30); // RIFF/WAVE but no complete fmt chunk
    expect(await toolkit.probe(file('z.wav', broken))).toMatchObject({ ok: false, kind: 'corrupt' });
    // RIFF/WAVE recognised, format chunk nonsense (no channels, 0 Hz, 7-bit PCM): corrupt, not unsupported
    for (const [at, value] of [
      [22, 0], // channels
      [24, 0], // sample rate
      [34, 7], // bits per sample
      [20, 0], // codec 0
    ] as const) {
      const nonsense = Buffer.from(wav(piece(1, 1)));
      if (at === 24) nonsense.writeUInt32LE(value, at);
      else nonsense.writeUInt16LE(value, at);
      expect(await toolkit.probe(file(`n${at}.wav`, nonsense))).toMatchObject({ ok: false, kind: 'corrupt' });
    }
    // a real codec we do not decode (IMA ADPCM) stays unsupported
    const adpcm = Buffer.from(wav(piece(1, 1)));
    adpcm.writeUInt16LE(0x11, 20);
    expect(await toolkit.probe(file('adpcm.wav', adpcm))).toMatchObject({ ok: false, kind: 'unsupported' });
    expect(await toolkit.probe(file('i.aifc', aiff(piece(1, 1), 'ima4')))).toMatchObject({
      ok: false,
      kind: 'unsupported',
    });
  });

  it('fingerprints the same audio identically across formats and gain, and tells pieces apart', async () => {
    const a = piece(11, 12);
    const fw = await toolkit.fingerprint(file('a.wav', wav(a)));
    const ff = await toolkit.fingerprint(file('a.flac', flac(a)));
    const fa = await toolkit.fingerprint(file('a.aiff', aiff(a)));
    const fg = await toolkit.fingerprint(file('a-quiet.wav', wav(piece(11, 12, { gain: 0.5 }))));
    const fb = await toolkit.fingerprint(file('b.wav', wav(piece(12, 12))));
    if (!fw.ok || !ff.ok || !fa.ok || !fg.ok || !fb.ok) throw new Error('fingerprinting failed');
    expect(fw.fingerprint.length).toBeGreaterThan(50);
    expect(similarity(fw.fingerprint, ff.fingerprint)).toBeGreaterThanOrEqual(0.99);
    expect(similarity(fw.fingerprint, fa.fingerprint)).toBeGreaterThanOrEqual(0.99);
    expect(similarity(fw.fingerprint, fg.fingerprint)).toBeGreaterThanOrEqual(0.95);
    expect(similarity(fw.fingerprint, fb.fingerprint)).toBeLessThan(0.8);
  });

  it('reports FLAC with broken frames as corrupt when decoding', async () => {
    const p = file('bad.flac', flac(piece(3, 3), { corruptFrames: true }));
    expect(await toolkit.probe(p)).toMatchObject({ ok: true, format: 'flac' });
    expect(await toolkit.fingerprint(p)).toMatchObject({ ok: false, kind: 'corrupt' });
  });
});
