import {
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig, type S3Settings } from '../../config/config';
import { StorageService, type DownloadMeta } from './storage.service';

/** 8 MB parts, 4 in flight: what a multipart upload holds in memory at most (~32 MB). */
export const S3_PART_BYTES = 8 * 1024 * 1024;
export const S3_PARTS_IN_FLIGHT = 4;
/** a deletion's network call gives up well within its claim (StorageKeeper.DELETION_LEASE_SECONDS) */
const DELETE_TIMEOUT_MS = 20_000;

export function s3Client(s3: S3Settings): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.credentials,
  });
}

/**
 * The S3 driver (`STORAGE_URL=s3://bucket/prefix`): objects at `<prefix><sha256>`. Uploads go
 * from the spool as a multipart upload (aborted on failure, so no part is left behind);
 * downloads redirect to a presigned GET (S3_DOWNLOADS=redirect) or stream through the server
 * (S3_DOWNLOADS=proxy, for buckets only the servers can reach).
 */
@Injectable()
export class S3Storage extends StorageService implements OnModuleInit, OnModuleDestroy {
  private readonly client: S3Client;
  private readonly s3: S3Settings;

  constructor(config: AppConfig) {
    super(join(config.storageDir, 'tmp'));
    this.s3 = config.s3!;
    this.client = s3Client(this.s3);
  }

  async onModuleInit(): Promise<void> {
    await this.prepare();
  }

  onModuleDestroy(): void {
    this.client.destroy();
  }

  private key(sha256: string): string {
    return `${this.s3.prefix}${sha256}`;
  }

  async put(tempPath: string, sha256: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.s3.bucket, Key: this.key(sha256), Body: createReadStream(tempPath) },
      partSize: S3_PART_BYTES,
      queueSize: S3_PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } finally {
      await this.discard(tempPath);
    }
  }

  async remove(sha256: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: this.key(sha256) }), {
      abortSignal: AbortSignal.timeout(DELETE_TIMEOUT_MS),
    });
  }

  async read(sha256: string): Promise<Readable> {
    const object: GetObjectCommandOutput = await this.client.send(
      new GetObjectCommand({ Bucket: this.s3.bucket, Key: this.key(sha256) }),
    );
    return object.Body as Readable;
  }

  async withLocalFile<T>(sha256: string, fn: (path: string) => Promise<T>): Promise<T> {
    const path = this.spoolPath();
    try {
      await pipeline(await this.read(sha256), createWriteStream(path, { flags: 'wx' }));
      return await fn(path);
    } finally {
      await this.discard(path);
    }
  }

  async downloadUrl(sha256: string, meta: DownloadMeta, now: Date): Promise<string | null> {
    if (this.s3.downloads === 'proxy') return null;
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.s3.bucket,
        Key: this.key(sha256),
        ResponseContentType: meta.contentType,
        ResponseContentDisposition: `attachment; filename="${meta.filename}"`,
        ResponseCacheControl: 'private, no-store',
      }),
      // signed on the application clock, like every other expiry
      { expiresIn: this.s3.presignSeconds, signingDate: now },
    );
  }
}
