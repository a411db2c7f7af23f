import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig, type S3Settings } from '../../config/config';
import { StorageService, type DownloadMeta } from './storage.service';

/** 8 MB parts (more for objects over 80 GB: S3 takes 10,000 parts at most), 4 in flight. */
export const S3_PART_BYTES = 8 * 1024 * 1024;
export const S3_PARTS_IN_FLIGHT = 4;
const S3_MAX_PARTS = 10_000;
/** a deletion's network call gives up well within its claim (StorageKeeper.DELETION_LEASE_SECONDS) */
const DELETE_TIMEOUT_MS = 20_000;

export function s3Client(s3: S3Settings): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.credentials,
    // checksums only where S3 requires them: S3-compatible servers differ on the newer
    // (aws-chunked, trailing CRC) uploads, and TLS plus SigV4 already protect the bytes
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * The S3 driver (`STORAGE_URL=s3://bucket/prefix`): objects at `<prefix><sha256>`. Uploads go
 * from the spool as a multipart upload whose parts are streamed from ranges of the spool file
 * (no part is ever buffered: memory stays flat whatever the size) and which is aborted on
 * failure, so no part is left behind;
 * downloads redirect to a presigned GET (S3_DOWNLOADS=redirect) or stream through the server
 * (S3_DOWNLOADS=proxy, for buckets only the servers can reach).
 */
@Injectable()
export class S3Storage extends StorageService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(S3Storage.name);
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

  /** After the HTTP server closed (in-flight uploads and downloads finished), not before. */
  onApplicationShutdown(): void {
    this.client.destroy();
  }

  private key(sha256: string): string {
    return `${this.s3.prefix}${sha256}`;
  }

  async put(tempPath: string, sha256: string): Promise<void> {
    try {
      const { size } = await stat(tempPath);
      const partBytes = Math.max(S3_PART_BYTES, Math.ceil(size / S3_MAX_PARTS));
      if (size <= partBytes) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.s3.bucket,
            Key: this.key(sha256),
            Body: createReadStream(tempPath),
            ContentLength: size,
          }),
        );
      } else {
        await this.multipart(tempPath, sha256, size, partBytes);
      }
    } finally {
      await this.discard(tempPath);
    }
  }

  private async multipart(path: string, sha256: string, size: number, partBytes: number): Promise<void> {
    const target = { Bucket: this.s3.bucket, Key: this.key(sha256) };
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand(target));
    try {
      const count = Math.ceil(size / partBytes);
      const parts: CompletedPart[] = new Array<CompletedPart>(count);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const start = i * partBytes;
          const end = Math.min(size, start + partBytes);
          const { ETag } = await this.client.send(
            new UploadPartCommand({
              ...target,
              UploadId,
              PartNumber: i + 1,
              Body: createReadStream(path, { start, end: end - 1 }),
              ContentLength: end - start,
            }),
          );
          parts[i] = { ETag, PartNumber: i + 1 };
        }
      };
      await Promise.all(Array.from({ length: Math.min(S3_PARTS_IN_FLIGHT, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      // no part may stay behind (a bucket lifecycle rule for incomplete uploads is the backstop)
      await this.client
        .send(new AbortMultipartUploadCommand({ ...target, UploadId }))
        .catch((abort: Error) =>
          this.logger.warn(`multipart upload ${UploadId} not aborted: ${abort.message}`),
        );
      throw err;
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

  async readRange(sha256: string, start: number, endInclusive: number): Promise<Readable> {
    const object: GetObjectCommandOutput = await this.client.send(
      new GetObjectCommand({
        Bucket: this.s3.bucket,
        Key: this.key(sha256),
        Range: `bytes=${start}-${endInclusive}`,
      }),
    );
    const body = object.Body as Readable;
    // a server that ignores or widens the Range (S3-compatible ones differ) would have us send
    // other bytes than the 206 announces: refuse before any header is sent
    if (!object.ContentRange?.startsWith(`bytes ${start}-${endInclusive}/`)) {
      body.destroy();
      throw new Error(
        `S3 answered ${object.ContentRange ?? 'no Content-Range'} to Range bytes=${start}-${endInclusive}`,
      );
    }
    return body;
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
