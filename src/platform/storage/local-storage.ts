import { Injectable, OnModuleInit } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppConfig } from '../../config/config';
import { ignoreMissing, StorageService } from './storage.service';

/** The local driver (default): STORAGE_DIR/objects/ab/cd/<sha256>, one machine only. */
@Injectable()
export class LocalStorage extends StorageService implements OnModuleInit {
  private readonly root: string;

  constructor(config: AppConfig) {
    super(join(config.storageDir, 'tmp'));
    this.root = config.storageDir;
  }

  async onModuleInit(): Promise<void> {
    await this.prepare();
    await mkdir(join(this.root, 'objects'), { recursive: true });
  }

  private objectPath(sha256: string): string {
    return join(this.root, 'objects', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(tempPath: string, sha256: string): Promise<void> {
    const target = this.objectPath(sha256);
    await mkdir(dirname(target), { recursive: true });
    // same name, same bytes: replacing an existing copy is harmless and atomic
    await rename(tempPath, target);
  }

  async remove(sha256: string): Promise<void> {
    await unlink(this.objectPath(sha256)).catch(ignoreMissing);
  }

  async read(sha256: string): Promise<Readable> {
    const path = this.objectPath(sha256);
    await stat(path); // a missing file fails here, before any header is sent
    return createReadStream(path);
  }

  async readRange(sha256: string, start: number, endInclusive: number): Promise<Readable> {
    const path = this.objectPath(sha256);
    await stat(path); // as in read: a missing file fails before any header is sent
    return createReadStream(path, { start, end: endInclusive });
  }

  withLocalFile<T>(sha256: string, fn: (path: string) => Promise<T>): Promise<T> {
    return fn(this.objectPath(sha256));
  }

  downloadUrl(): Promise<string | null> {
    return Promise.resolve(null);
  }
}
