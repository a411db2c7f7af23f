import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../../config/config';

export interface ReceivedFile {
  tempPath: string;
  sha256: string;
  size: number;
}

/** Raised when a stream grows past its byte limit while it is being received. */
export class TooLargeError extends Error {
  readonly code = 'STORAGE_TOO_LARGE';
}

const ignoreMissing = (err: unknown) => {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
};

/**
 * Content-addressed file storage under STORAGE_DIR: objects/ab/cd/<sha256>. Files are streamed to
 * tmp/ while hashed (never held in memory), then moved into place. Deletion goes through trash/
 * so that it can be undone if the transaction that decided it fails.
 */
@Injectable()
export class StorageService implements OnModuleInit {
  private readonly root: string;

  constructor(config: AppConfig) {
    this.root = config.storageDir;
  }

  async onModuleInit(): Promise<void> {
    for (const dir of ['tmp', 'objects', 'trash']) await mkdir(join(this.root, dir), { recursive: true });
  }

  objectPath(sha256: string): string {
    return join(this.root, 'objects', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** Streams `source` into a temporary file, hashing it; more than `maxBytes` → TooLargeError. */
  async receive(source: Readable, maxBytes: number): Promise<ReceivedFile> {
    const tempPath = join(this.root, 'tmp', randomUUID());
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

  /** Moves a received file into place (a file with the same content may already be there). */
  async place(tempPath: string, sha256: string): Promise<void> {
    const target = this.objectPath(sha256);
    await mkdir(dirname(target), { recursive: true });
    if (await this.exists(sha256)) return this.discard(tempPath);
    await rename(tempPath, target);
  }

  async discard(tempPath: string): Promise<void> {
    await unlink(tempPath).catch(ignoreMissing);
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.objectPath(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** First half of a deletion: the object leaves its place but can still be restored. */
  async moveToTrash(sha256: string): Promise<string | null> {
    const trashPath = join(this.root, 'trash', `${sha256}.${randomUUID()}`);
    try {
      await rename(this.objectPath(sha256), trashPath);
      return trashPath;
    } catch (err) {
      ignoreMissing(err);
      return null;
    }
  }

  async restore(trashPath: string, sha256: string): Promise<void> {
    await mkdir(dirname(this.objectPath(sha256)), { recursive: true });
    await rename(trashPath, this.objectPath(sha256));
  }

  async purge(trashPath: string): Promise<void> {
    await unlink(trashPath).catch(ignoreMissing);
  }

  read(sha256: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.objectPath(sha256), range);
  }
}
