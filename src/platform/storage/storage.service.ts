import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ReceivedFile {
  tempPath: string;
  sha256: string;
  size: number;
}

/** Raised when a stream grows past its byte limit while it is being received. */
export class TooLargeError extends Error {
  readonly code = 'STORAGE_TOO_LARGE';
}

export interface DownloadMeta {
  filename: string;
  contentType: string;
}

export const ignoreMissing = (err: unknown) => {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
};

/**
 * Content-addressed audio storage: one object per sha256. Two drivers (local directory, S3);
 * both receive an upload into a local spool (`STORAGE_DIR/tmp`) while hashing it, so the key is
 * known and the bytes are checked before anything reaches the store, then `put` writes the
 * object. When an object may be written or removed is decided in the database (StorageKeeper),
 * never here.
 */
export abstract class StorageService {
  protected constructor(protected readonly spoolDir: string) {}

  protected async prepare(): Promise<void> {
    await mkdir(this.spoolDir, { recursive: true });
  }

  /**
   * A fresh path in the spool (for a received upload or a copy to read locally, or a file made
   * here — a stream rendition — that `put` then stores: the spool is on the storage's filesystem).
   */
  spoolPath(): string {
    return join(this.spoolDir, randomUUID());
  }

  /** Streams `source` into the spool, hashing it; more than `maxBytes` → TooLargeError. */
  async receive(source: Readable, maxBytes: number): Promise<ReceivedFile> {
    const tempPath = this.spoolPath();
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new TooLargeError(`more than ${maxBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const sink = createWriteStream(tempPath, { flags: 'wx' });
    try {
      await pipeline(source, meter, sink);
    } catch (err) {
      // the file may still be opening (an upload cut right after its part header): remove it only
      // once the stream has closed, or the open would recreate it after the unlink (a 0-byte leftover)
      if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
      await this.discard(tempPath);
      throw err;
    }
    return { tempPath, sha256: hash.digest('hex'), size };
  }

  async discard(tempPath: string): Promise<void> {
    await unlink(tempPath).catch(ignoreMissing);
  }

  /** Writes the object `sha256` from a received file (the spool file is gone afterwards). */
  abstract put(tempPath: string, sha256: string): Promise<void>;

  /** Removes the object (no error when it is already gone). */
  abstract remove(sha256: string): Promise<void>;

  /** The object as a stream (the download proxy). */
  abstract read(sha256: string): Promise<Readable>;

  /**
   * The bytes `start`..`endInclusive` of the object as a stream (a `Range` request's answer,
   * never the whole object in memory). The caller has checked the range against the object's
   * size: 0 ≤ start ≤ endInclusive < size.
   */
  abstract readRange(sha256: string, start: number, endInclusive: number): Promise<Readable>;

  /** Runs `fn` with a local file holding the object (a spool copy for S3, removed afterwards). */
  abstract withLocalFile<T>(sha256: string, fn: (path: string) => Promise<T>): Promise<T>;

  /** A short-lived URL of the object for a redirect; null → the server streams it itself. */
  abstract downloadUrl(sha256: string, meta: DownloadMeta, now: Date): Promise<string | null>;
}
