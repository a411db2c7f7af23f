import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaError } from './ffmpeg';
import { replayGainDb } from './loudness';
import { PeaksBuilder } from './peaks';
import { renderTrack } from './render';
import { burst, decodeMono, mix, ramp, silence, sine, tonePower, toInt16, writeWav } from './test-signals';

/** Top-level MP4 box types in file order. */
function boxes(path: string): string[] {
  const buf = readFileSync(path);
  const out: string[] = [];
  for (let pos = 0; pos + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(pos);
    out.push(buf.toString('latin1', pos + 4, pos + 8));
    if (size < 8) break;
    pos += size;
  }
  return out;
}

const dB = (ratio: number) => 10 * Math.log10(ratio);

describe('renderTrack (one ffmpeg process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'render-'));
  const fresh = (name: string) => mkdtempSync(join(dir, `${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a clean AAC rendition, moov first, that decodes back to the original duration', async () => {
    const input = join(dir, 'sine20.wav');
    await writeWav(input, { seconds: 20, signal: sine(1000, 0.5) });
    const out = fresh('clean');
    const r = await renderTrack(input, { outDir: out, tagIntervalSeconds: 30 });

    expect(r.tagged).toBeNull();
    expect(r.durationMs).toBe(20_000);
    expect(r.clean).toMatchObject({ contentType: 'audio/mp4', durationMs: 20_000 });
    expect(r.clean.path.startsWith(out)).toBe(true);
    expect(r.clean.bytes).toBe(statSync(r.clean.path).size);
    expect(r.clean.sha256).toBe(createHash('sha256').update(readFileSync(r.clean.path)).digest('hex'));
    // 160 kbit/s for 20 s is 400 kB; a sine needs less, but it is an encoded file, not PCM
    expect(r.clean.bytes).toBeGreaterThan(100_000);
    expect(r.clean.bytes).toBeLessThan(500_000);

    const top = boxes(r.clean.path);
    expect(top.indexOf('moov')).toBeGreaterThan(-1);
    expect(top.indexOf('moov')).toBeLessThan(top.indexOf('mdat')); // faststart: seekable at once

    const decoded = await decodeMono(r.clean.path);
    expect(Math.abs((decoded.length / 44100) * 1000 - 20_000)).toBeLessThanOrEqual(50);
    expect(r.peaks).toMatchObject({ version: 2, channels: 1, sample_rate: 44100, samples_per_pixel: 256 });
    expect(r.peaks.length).toBe(Math.ceil((20 * 44100) / 256));
    expect(readdirSync(out)).toHaveLength(1);
  });

  it('measures an EBU Tech 3341 tone (stereo 1 kHz at −23 dBFS) at −23 LUFS and −23 dBTP', async () => {
    const input = join(dir, 'ebu.wav');
    await writeWav(input, { seconds: 20, signal: sine(1000, 10 ** (-23 / 20)) });
    const r = await renderTrack(input, { outDir: fresh('ebu'), tagIntervalSeconds: 30 });
    expect(Math.abs(r.loudness.integratedLufs! + 23)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(r.loudness.truePeakDbtp! + 23)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(replayGainDb(r.loudness.integratedLufs)! - 9)).toBeLessThanOrEqual(0.5);
  });

  it('mixes the voice tag at 0 s and every interval, over the music at full level', async () => {
    const bed = join(dir, 'bed.wav');
    await writeWav(bed, { seconds: 65, signal: sine(200, 0.03) });
    // mono at 48 kHz: the tag is resampled and spread to stereo on its way into the mix
    const tag = join(dir, 'tag.wav');
    await writeWav(tag, { seconds: 1, sampleRate: 48000, channels: 1, signal: sine(3000, 0.25) });
    const r = await renderTrack(bed, { outDir: fresh('tagged'), voiceTag: tag, tagIntervalSeconds: 30 });
    expect(r.tagged).toMatchObject({ contentType: 'audio/mp4', durationMs: 65_000 });
    expect(r.tagged!.sha256).not.toBe(r.clean.sha256);
    expect(boxes(r.tagged!.path).indexOf('moov')).toBeLessThan(boxes(r.tagged!.path).indexOf('mdat'));

    const tagged = await decodeMono(r.tagged!.path);
    const clean = await decodeMono(r.clean.path);
    expect(Math.abs(tagged.length - 65 * 44100)).toBeLessThanOrEqual(0.05 * 44100);
    // the middle of each second, clear of the burst's edges and the encoder's frame overlap
    const band = (x: Float32Array, f: number, s: number) =>
      tonePower(x, 44100, f, Math.round((s + 0.2) * 44100), Math.round((s + 0.8) * 44100));
    const tone = 0.25 ** 2 / 4; // power of the tag's sine in one channel, before any mixdown
    for (const s of [0, 30, 60]) expect(dB(band(tagged, 3000, s) / tone)).toBeGreaterThan(-10);
    for (const s of [10, 45]) expect(dB(band(tagged, 3000, s) / tone)).toBeLessThan(-50);
    for (const s of [0, 10, 30, 45, 60]) expect(dB(band(clean, 3000, s) / tone)).toBeLessThan(-50);
    // amix would have halved the music (−6 dB): the bed must be as loud as in the clean rendition
    for (const s of [10, 45])
      expect(Math.abs(dB(band(tagged, 200, s) / band(clean, 200, s)))).toBeLessThan(0.5);
    // loudness and peaks describe the original, not the tagged rendition
    expect(r.peaks.sample_rate).toBe(44100);
  }, 120_000);

  it('computes the same peaks as PeaksBuilder over the original samples', async () => {
    const input = join(dir, 'ramp.wav');
    const signal = ramp(700, 0.9, 6);
    await writeWav(input, { seconds: 6, signal });
    const r = await renderTrack(input, { outDir: fresh('ramp'), tagIntervalSeconds: 30 });
    const b = new PeaksBuilder(2);
    const frames = 6 * 44100;
    const pcm = Buffer.alloc(frames * 4);
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < 2; c++) pcm.writeInt16LE(toInt16(signal(i / 44100, c)), (i * 2 + c) * 2);
    }
    b.push(pcm);
    expect(r.peaks).toEqual(b.finish(44100));
  });

  it('keeps a mono original at its own rate and level in the peaks (no −3 dB spread to stereo)', async () => {
    const input = join(dir, 'mono.wav');
    await writeWav(input, { seconds: 2, sampleRate: 22050, channels: 1, signal: sine(441, 0.8) });
    const r = await renderTrack(input, { outDir: fresh('mono'), tagIntervalSeconds: 30 });
    expect(r.peaks.sample_rate).toBe(22050);
    expect(r.durationMs).toBe(2000);
    expect(Math.max(...r.peaks.data)).toBe(toInt16(0.8) >> 8);
    expect((await decodeMono(r.clean.path)).length).toBeGreaterThan(1.95 * 44100); // rendition at 44.1 kHz
  });

  it('reports the loudness of silence as null and still renders it', async () => {
    const input = join(dir, 'silence.wav');
    await writeWav(input, { seconds: 3, signal: silence });
    const r = await renderTrack(input, { outDir: fresh('silence'), tagIntervalSeconds: 30 });
    expect(r.loudness).toEqual({ integratedLufs: null, truePeakDbtp: null });
    expect(new Set(r.peaks.data)).toEqual(new Set([0]));
    expect(r.clean.bytes).toBeGreaterThan(0);
  });

  it('refuses what is not WAV, FLAC or AIFF before starting ffmpeg', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'just some text, not audio\n');
    const out = fresh('text');
    await expect(renderTrack(text, { outDir: out, tagIntervalSeconds: 30 })).rejects.toMatchObject({
      kind: 'unsupported',
    });
    const wav = join(dir, 'fine.wav');
    await writeWav(wav, { seconds: 1, signal: sine(100, 0.1) });
    await expect(
      renderTrack(wav, { outDir: out, voiceTag: text, tagIntervalSeconds: 30 }),
    ).rejects.toMatchObject({
      kind: 'unsupported',
    });
    expect(readdirSync(out)).toEqual([]);
  });

  it('fails with a short reason and no path when ffmpeg cannot decode, leaving no files', async () => {
    const broken = join(dir, 'broken.wav');
    // a RIFF/WAVE header whose format chunk says 0 channels at 0 Hz, then noise
    const fmt = Buffer.alloc(16);
    fmt.writeUInt16LE(1, 0); // PCM, then 0 channels, 0 Hz
    fmt.writeUInt16LE(16, 14);
    const riff = Buffer.from('RIFF\x24\x10\x00\x00WAVEfmt \x10\x00\x00\x00', 'latin1');
    writeFileSync(
      broken,
      Buffer.concat([riff, fmt, Buffer.from('data\x00\x10\x00\x00'), Buffer.alloc(4096, 7)]),
    );
    const out = fresh('broken');
    const error = await renderTrack(broken, { outDir: out, tagIntervalSeconds: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).kind).toBe('undecodable');
    expect((error as MediaError).message).not.toContain(dir);
    expect((error as MediaError).message.length).toBeLessThan(60);
    expect(readdirSync(out)).toEqual([]);
  });

  it('fails with a short reason when ffmpeg cannot write, and checks the tag interval', async () => {
    const wav = join(dir, 'short.wav');
    await writeWav(wav, { seconds: 1, signal: sine(100, 0.1) });
    const nowhere = join(dir, 'no-such-dir');
    const error = await renderTrack(wav, { outDir: nowhere, tagIntervalSeconds: 30 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ kind: 'failed', message: 'rendering failed' });
    expect((error as MediaError).detail).toContain('no-such-dir'); // for the log, not the user
    await expect(
      renderTrack(wav, { outDir: fresh('interval'), voiceTag: wav, tagIntervalSeconds: 0 }),
    ).rejects.toThrow(RangeError);
  });

  it('fails on an empty WAV (header, no samples)', async () => {
    const empty = join(dir, 'empty.wav');
    await writeWav(empty, { seconds: 0, signal: silence });
    const out = fresh('empty');
    await expect(renderTrack(empty, { outDir: out, tagIntervalSeconds: 30 })).rejects.toMatchObject({
      kind: 'empty',
    });
    expect(readdirSync(out)).toEqual([]);
  });

  it('kills ffmpeg and removes its files when aborted', async () => {
    const input = join(dir, 'long.wav');
    await writeWav(input, { seconds: 60, signal: mix(sine(200, 0.2), burst(sine(3000, 0.2), 5, 6)) });
    const out = fresh('abort');
    const controller = new AbortController();
    const rendering = renderTrack(input, { outDir: out, tagIntervalSeconds: 30, signal: controller.signal });
    // abort once ffmpeg has started writing its output
    while (readdirSync(out).length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(rendering).rejects.toMatchObject({ kind: 'aborted' });
    expect(readdirSync(out)).toEqual([]);
    await expect(
      renderTrack(input, { outDir: out, tagIntervalSeconds: 30, signal: controller.signal }),
    ).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('renders 4 minutes of 44.1 kHz stereo with memory that does not grow with the file', async () => {
    const input = join(dir, 'four-minutes.wav');
    // noise over a tone: closer to music for the AAC coder than a pure sine
    let seed = 1;
    const noise = () => {
      seed ^= seed << 13; // xorshift32
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed / 2 ** 31;
    };
    const tone = sine(220, 0.3);
    await writeWav(input, { seconds: 240, signal: (t, ch) => 0.2 * noise() + tone(t, ch) });
    const tag = join(dir, 'tag4.wav');
    await writeWav(tag, { seconds: 2, signal: sine(2000, 0.3) });
    const fileBytes = statSync(input).size;

    const before = process.memoryUsage().rss;
    let peakRss = before;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const started = process.hrtime.bigint();
    const r = await renderTrack(input, { outDir: fresh('four'), voiceTag: tag, tagIntervalSeconds: 30 });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);

    const growth = peakRss - before;
    console.log(
      `4-min render (clean + tagged AAC, loudness, peaks): ${wallSeconds.toFixed(1)} s wall, ` +
        `${(240 / wallSeconds).toFixed(1)}× real time; RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB ` +
        `for a ${(fileBytes / 2 ** 20).toFixed(1)} MiB WAV`,
    );
    expect(r.durationMs).toBe(240_000);
    expect(r.peaks.samples_per_pixel).toBe(768); // 41,344 pixels of 256 zoomed out ×3 to stay ≤ 20,000
    expect(r.peaks.length).toBe(Math.ceil(Math.ceil((240 * 44100) / 256) / 3));
    // holding the PCM (or its chunks) would add at least the file's size
    expect(growth).toBeLessThan(fileBytes / 3);
  }, 300_000);
});
