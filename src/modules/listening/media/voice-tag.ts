import { FfmpegRun, MediaError, runFfmpeg, sniffSourceFormat } from './ffmpeg';
import { parseEbur128Summary } from './loudness';

export type VoiceTagProbe = { ok: true; durationMs: number } | { ok: false; reason: string };

const ACCEPTED = new Set(['wav', 'flac', 'aiff']);

/**
 * Checks an uploaded voice tag by decoding it once with ffmpeg (`-f null`): a WAV, FLAC or AIFF
 * that decodes, lasts more than 0 and at most `maxSeconds`, and is not digital silence. The reason
 * is short and safe to show the producer.
 */
export async function probeVoiceTag(
  path: string,
  maxSeconds: number,
  signal?: AbortSignal,
): Promise<VoiceTagProbe> {
  const format = await sniffSourceFormat(path);
  if (!format) return { ok: false, reason: 'not WAV, FLAC or AIFF' };
  // Decoding stops one second past the limit: a long file is refused without reading it all.
  const args = ['-f', format, '-t', String(maxSeconds + 1), '-i', path];
  args.push('-map', '0:a:0', '-af', 'aresample=48000,ebur128=peak=true:framelog=verbose', '-f', 'null', '-');
  let run: FfmpegRun;
  try {
    run = await runFfmpeg(args, { signal });
  } catch (error) {
    if (error instanceof MediaError && error.kind === 'aborted') throw error;
    return { ok: false, reason: 'could not be decoded' };
  }
  if (run.code !== 0) return { ok: false, reason: 'could not be decoded' };

  const demuxer = /Input #0, ([\w,]+), from/.exec(run.stderr)?.[1].split(',')[0];
  if (!demuxer || !ACCEPTED.has(demuxer)) return { ok: false, reason: 'not WAV, FLAC or AIFF' };

  const durationMs = decodedMs(run.stderr) ?? headerMs(run.stderr);
  if (durationMs === null || durationMs <= 0) return { ok: false, reason: 'empty' };
  if (durationMs > maxSeconds * 1000) return { ok: false, reason: `longer than ${maxSeconds} s` };
  if (parseEbur128Summary(run.stderr)?.truePeakDbtp == null) return { ok: false, reason: 'silent' };
  return { ok: true, durationMs };
}

const clock = (h: string, m: string, s: string) =>
  Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);

/** What was actually decoded: the `time=` of ffmpeg's final report (printed even with -nostats). */
function decodedMs(stderr: string): number | null {
  const all = [...stderr.matchAll(/time=\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)/g)];
  const last = all.at(-1);
  return last ? clock(last[1], last[2], last[3]) : null;
}

/** What the header claims (`Duration: 00:00:05.00`), when the final report has no time. */
function headerMs(stderr: string): number | null {
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  return m ? clock(m[1], m[2], m[3]) : null;
}
