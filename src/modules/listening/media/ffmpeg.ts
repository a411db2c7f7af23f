import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { setPriority } from 'node:os';

/** The static ffmpeg 4.1 build shipped in the npm package (encoders `aac`, `libmp3lame`; `ebur128`). */
export const FFMPEG_PATH: string = ffmpegInstaller.path;

/** Containers we take from producers; each is passed to ffmpeg as its demuxer (`-f`). */
export type SourceFormat = 'wav' | 'flac' | 'aiff';

/**
 * Why media work failed. `message` is short and safe to show a user (never a path); `detail` is
 * the tail of ffmpeg's log, for the caller's log only.
 */
export class MediaError extends Error {
  constructor(
    readonly kind: 'unsupported' | 'undecodable' | 'empty' | 'aborted' | 'failed',
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/**
 * The container from the first bytes. ffmpeg is then told the demuxer instead of guessing it, so an
 * upload can never reach one of its other demuxers (playlists that open further files or URLs,
 * `tty` for text files). An ID3v2 tag before FLAC is skipped, as ffmpeg itself does.
 */
export async function sniffSourceFormat(path: string): Promise<SourceFormat | null> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    if (bytesRead < 4) return null;
    const tag = head.toString('latin1', 0, 4);
    const kind = bytesRead >= 12 ? head.toString('latin1', 8, 12) : '';
    if ((tag === 'RIFF' || tag === 'RF64') && kind === 'WAVE') return 'wav';
    if (tag === 'FORM' && (kind === 'AIFF' || kind === 'AIFC')) return 'aiff';
    if (tag === 'fLaC') return 'flac';
    if (tag.startsWith('ID3') && bytesRead >= 10) {
      const size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9];
      const after = Buffer.alloc(4);
      await fh.read(after, 0, 4, 10 + size + (head[5] & 0x10 ? 10 : 0));
      if (after.toString('latin1') === 'fLaC') return 'flac';
    }
    return null;
  } finally {
    await fh.close();
  }
}

/** Keeps the start (stream descriptions) and the end (summaries, the error) of a log of any length. */
export class BoundedLog {
  private head = '';
  private tail = '';
  private dropped = false;
  constructor(private readonly limit = 32 * 1024) {}

  add(text: string): void {
    if (this.head.length < this.limit) {
      const room = this.limit - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (!text) return;
    this.tail += text;
    if (this.tail.length > this.limit) {
      this.tail = this.tail.slice(this.tail.length - this.limit);
      this.dropped = true;
    }
  }

  text(): string {
    return this.head + (this.dropped ? '\n[…]\n' : '') + this.tail;
  }

  /** The last lines, for MediaError.detail. */
  last(chars = 2000): string {
    const all = this.text();
    return all.slice(Math.max(0, all.length - chars));
  }
}

export interface FfmpegRun {
  code: number | null;
  stderr: string;
  lastLines: string;
}

/**
 * Runs ffmpeg as a child process (the work is off the event loop), feeding its stdout to `onStdout`
 * as chunks arrive. Resolves once the process has exited and its pipes are drained. Rejects with an
 * `aborted` MediaError after killing it when `signal` fires, and kills it when `onStdout` throws.
 */
export function runFfmpeg(
  args: string[],
  opts: { signal?: AbortSignal; onStdout?: (chunk: Buffer) => void } = {},
): Promise<FfmpegRun> {
  const { signal, onStdout } = opts;
  if (signal?.aborted) return Promise.reject(new MediaError('aborted', 'processing was aborted'));
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG_PATH, ['-hide_banner', '-nostdin', '-nostats', ...args], {
      stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    // Renders are background work on a 2-core machine: let request handling win the CPU.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // lowering a child's priority is a courtesy; a platform that refuses it still renders
      }
    }
    const log = new BoundedLog();
    let failure: Error | undefined;
    const stop = (error: Error) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop(new MediaError('aborted', 'processing was aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => log.add(text));
    if (onStdout && child.stdout) {
      child.stdout.on('data', (chunk: Buffer) => {
        if (failure) return;
        try {
          onStdout(chunk);
        } catch (error) {
          stop(error instanceof Error ? error : new Error(String(error)));
        }
      });
    }
    child.on('error', (error) => {
      failure ??= new MediaError('failed', 'the audio tool could not start', error.message);
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve({ code, stderr: log.text(), lastLines: log.last() });
    });
  });
}

/** ffmpeg's complaints that mean the input itself is broken (or has no audio), not that we failed. */
const DECODE_FAILURE =
  /Invalid data found when processing input|Error while decoding|could not find codec parameters|matches no streams|Invalid (?:PCM|sample|frame|block|header)/i;

export function isDecodeFailure(stderr: string): boolean {
  return DECODE_FAILURE.test(stderr);
}
