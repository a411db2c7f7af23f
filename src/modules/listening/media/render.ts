import { randomUUID, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegRun, MediaError, isDecodeFailure, runFfmpeg, sniffSourceFormat } from './ffmpeg';
import { Loudness, parseEbur128Summary } from './loudness';
import { Peaks, PeaksBuilder } from './peaks';
import { WavPipeReader } from './wav-pipe';

export interface Rendition {
  path: string;
  bytes: number;
  sha256: string;
  contentType: 'audio/mp4';
  durationMs: number;
}

export interface RenderResult {
  clean: Rendition;
  tagged: Rendition | null;
  peaks: Peaks;
  loudness: Loudness;
  durationMs: number;
}

export interface RenderOptions {
  outDir: string;
  /** A voice tag file (WAV/FLAC/AIFF, checked by probeVoiceTag): also make the tagged rendition. */
  voiceTag?: string;
  tagIntervalSeconds: number;
  signal?: AbortSignal;
}

/**
 * The stream rendition: AAC-LC 160 kbit/s, 44.1 kHz stereo in MP4 (.m4a) with the index (moov)
 * first, so browsers and both mobile platforms play it and seek by byte range at once.
 * Why AAC and not MP3 — this ffmpeg 4.1, 2-core machine (busy: load ~7), 4-minute 44.1 kHz stereo
 * WAV of pink noise + tone, 3 runs each: AAC 160k 2.5 s CPU, 3.7–5.1 s wall (~96× real time in
 * CPU); MP3 160k (libmp3lame) 8.5–9.0 s CPU, 13–15.6 s wall (~28×). A pure sine is pathological
 * for the native AAC coder (19 s CPU); music-like signals are not. A whole render (decode, clean +
 * tagged AAC, ebur128 true peak, peaks PCM) of that file: 7.1–7.8 s CPU, 38 MB ffmpeg RSS
 * (3.6–4.8 s CPU, 21 MB without a tag).
 */
const STREAM_RATE = 44100;
const ENCODE = ['-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', '-map_metadata', '-1', '-f', 'mp4'];
/** PCM for the peaks as a WAV stream (see wav-pipe.ts); bitexact keeps the header minimal. */
const PCM_OUT = ['-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav'];

/**
 * One ffmpeg process decodes the upload once and, through one filter graph, writes the clean
 * rendition, the tagged one, the loudness measurement (to its log) and 16-bit PCM on stdout, from
 * which the peaks are computed as it streams (the audio is never held in memory).
 */
export async function renderTrack(input: string, opts: RenderOptions): Promise<RenderResult> {
  const { outDir, voiceTag, tagIntervalSeconds, signal } = opts;
  const inputFormat = await sniffSourceFormat(input);
  if (!inputFormat) throw new MediaError('unsupported', 'the audio is not WAV, FLAC or AIFF');
  const tagFormat = voiceTag ? await sniffSourceFormat(voiceTag) : null;
  if (voiceTag && !tagFormat) throw new MediaError('unsupported', 'the voice tag is not WAV, FLAC or AIFF');
  if (voiceTag && !(Number.isFinite(tagIntervalSeconds) && tagIntervalSeconds >= 1)) {
    throw new RangeError('tagIntervalSeconds must be at least 1');
  }

  const id = randomUUID();
  const cleanPath = join(outDir, `${id}.clean.m4a`);
  const taggedPath = voiceTag ? join(outDir, `${id}.tagged.m4a`) : null;

  // Loudness is measured on the original (ebur128 in this build works at 48 kHz only, so it gets
  // its own resampler); peaks at the original's rate and channels; both renditions from one
  // resample to 44.1 kHz stereo (a mono original spreads at −3 dB a side, equal power, so the
  // rendition plays at the loudness measured on the original).
  const toStream = `aresample=${STREAM_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo`;
  const graph = [
    `[0:a]asplit=3[loud][pk][enc]`,
    `[loud]aresample=48000,ebur128=peak=true:framelog=verbose,anullsink`,
    `[pk]aformat=sample_fmts=s16[peaks]`,
  ];
  if (taggedPath) {
    // The tag padded (or cut) to exactly one interval and looped for ever: it sounds at 0 s and
    // every interval. amerge+pan adds it to the music sample for sample; this build's amix has no
    // normalize=0 and would halve the music. amerge ends with the music, which ends the loop.
    const interval = Math.round(tagIntervalSeconds * STREAM_RATE);
    graph.push(
      `[enc]${toStream},asplit=2[clean][bed]`,
      `[1:a]${toStream},apad=whole_len=${interval},atrim=end_sample=${interval},aloop=loop=-1:size=${interval}[tags]`,
      `[bed][tags]amerge=inputs=2,pan=stereo|c0=c0+c2|c1=c1+c3[tagged]`,
    );
  } else {
    graph.push(`[enc]${toStream}[clean]`);
  }

  const args = ['-f', inputFormat, '-i', input];
  if (voiceTag && tagFormat) args.push('-f', tagFormat, '-i', voiceTag);
  args.push('-filter_complex', graph.join(';'));
  args.push('-map', '[clean]', ...ENCODE, '-y', cleanPath);
  if (taggedPath) args.push('-map', '[tagged]', ...ENCODE, '-y', taggedPath);
  args.push('-map', '[peaks]', ...PCM_OUT, 'pipe:1');

  const peaks = new StreamedPeaks();
  const outputs = taggedPath ? [cleanPath, taggedPath] : [cleanPath];
  try {
    let run: FfmpegRun;
    try {
      run = await runFfmpeg(args, { signal, onStdout: (chunk) => peaks.push(chunk) });
    } catch (error) {
      if (error instanceof MediaError) throw error;
      throw new MediaError(
        'failed',
        'rendering failed',
        error instanceof Error ? error.message : String(error),
      );
    }
    if (run.code !== 0) {
      throw isDecodeFailure(run.stderr)
        ? new MediaError('undecodable', 'the audio could not be decoded', run.lastLines)
        : new MediaError('failed', 'rendering failed', run.lastLines);
    }
    const result = peaks.finish();
    if (!result) throw new MediaError('empty', 'the audio is empty', run.lastLines);
    const loudness = parseEbur128Summary(run.stderr);
    if (!loudness) throw new MediaError('failed', 'the loudness measurement is missing', run.lastLines);

    const { durationMs } = result;
    const clean = await describe(cleanPath, durationMs);
    const tagged = taggedPath ? await describe(taggedPath, durationMs) : null;
    return { clean, tagged, peaks: result.peaks, loudness, durationMs };
  } catch (error) {
    await Promise.all(outputs.map((p) => rm(p, { force: true })));
    throw error;
  }
}

/** ffmpeg's PCM (a WAV stream) into peaks, chunk by chunk, once its header has told the format. */
class StreamedPeaks {
  private readonly reader = new WavPipeReader();
  private builder: PeaksBuilder | null = null;

  push(chunk: Buffer): void {
    const samples = this.reader.push(chunk);
    const format = this.reader.format;
    if (!format) return;
    this.builder ??= new PeaksBuilder(format.channels);
    this.builder.push(samples);
  }

  /** Null when no sample came through. */
  finish(): { peaks: Peaks; durationMs: number } | null {
    const format = this.reader.format;
    if (!format || !this.builder || this.builder.frames === 0) return null;
    const durationMs = Math.round((this.builder.frames * 1000) / format.sampleRate);
    return { peaks: this.builder.finish(format.sampleRate), durationMs };
  }
}

/** Size and SHA-256 of a finished rendition, read as a stream. */
async function describe(path: string, durationMs: number): Promise<Rendition> {
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) throw new MediaError('failed', 'the encoder produced no output');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { path, bytes: size, sha256: hash.digest('hex'), contentType: 'audio/mp4', durationMs };
}
