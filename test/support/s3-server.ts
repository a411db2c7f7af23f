import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

const BUCKET = 'beat-audio';
const PREFIX = 'tracks/';
const KEY = 'S3RVER';

/**
 * A local S3-compatible server (s3rver, storing in a temp directory) on a free port, spoken to
 * by the app's real AWS SDK over the real S3 wire protocol — the way the Stripe-compatible
 * server stands in for Stripe. `env` is what an app needs to use it (STORAGE_URL and companions).
 */
export class S3Server {
  private readonly directory = mkdtempSync(join(tmpdir(), 'beat-s3-'));
  private server?: S3rver;
  private s3?: S3Client;
  env: Record<string, string> = {};

  async start(): Promise<Record<string, string>> {
    this.server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await this.server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    this.env = {
      STORAGE_URL: `s3://${BUCKET}/${PREFIX}`,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: '1',
      AWS_ACCESS_KEY_ID: KEY,
      AWS_SECRET_ACCESS_KEY: KEY,
    };
    this.s3 = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: KEY, secretAccessKey: KEY },
    });
    return this.env;
  }

  /** The digests of every object in the bucket (the key is the prefix plus the sha256). */
  async objects(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3!.send(
        new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys.map((k) => (k.startsWith(PREFIX) ? k.slice(PREFIX.length) : k)).sort();
  }

  async remove(sha256: string): Promise<void> {
    await this.s3!.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${sha256}` }));
  }

  async stop(): Promise<void> {
    this.s3?.destroy();
    await this.server?.close().catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }
}
