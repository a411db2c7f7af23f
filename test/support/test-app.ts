import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import {
  adminQuery,
  assertTestDatabase,
  CODES_DIR,
  serverFromEnv,
  withDatabase,
} from '../setup/test-database';
import { LogSink } from './log-sink';
import { S3Server } from './s3-server';
import { SmtpSink } from './smtp-sink';

export const TEST_JWT_SECRET = 'e2e-secret-e2e-secret-e2e-secret-0123456789';

/** Generous budgets so tests only meet the limits they are about. */
const DEFAULT_ENV: Record<string, string> = {
  TEST_HOOKS: '1',
  JOBS_AUTORUN: '0',
  // the production logger and level, written to an in-memory sink (see TestApp.logs)
  LOG_LEVEL: 'info',
  JWT_SECRET: TEST_JWT_SECRET,
  LIMIT_RATE_PER_MINUTE: '100000',
  LIMIT_RATE_ANONYMOUS_PER_MINUTE: '100000',
  LIMIT_RATE_LOGIN_PER_MINUTE: '100000',
  LIMIT_RATE_PASSWORD_RESET_PER_MINUTE: '100000',
  ADMIN_EMAIL: 'admin@test.local',
  ADMIN_PASSWORD: 'admin-password-1',
};

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, template } = serverFromEnv();
  const name = `${template.replace(/_tpl_.*/, '')}_${basename(expect.getState().testPath ?? 'x')
    .replace(/\W+/g, '_')
    .slice(0, 30)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const url = withDatabase(adminUrl, name);
  assertTestDatabase(url);
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
      break;
    } catch (err) {
      // two workers cloning the same template at once: PostgreSQL refuses the second, retry
      if (attempt > 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return {
    name,
    url,
    drop: () =>
      adminQuery(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** Which storage driver a test app uses: `TEST_STORAGE=s3` (npm run test:s3) or per app. */
export type StorageDriver = 'local' | 's3';
export const TEST_STORAGE: StorageDriver = process.env.TEST_STORAGE === 's3' ? 's3' : 'local';

/** The objects the app stored, whatever its driver (by sha256). */
export interface TestStorage {
  driver: StorageDriver;
  objects(): Promise<string[]>;
  has(sha256: string): Promise<boolean>;
  /** removes an object behind the app's back (a store losing a file) */
  remove(sha256: string): Promise<void>;
  /** the local upload spool (both drivers) */
  spool(): string[];
}

function localStorage(storageDir: string): Omit<TestStorage, 'has' | 'spool'> {
  const objects = join(storageDir, 'objects');
  const path = (sha: string) => join(objects, sha.slice(0, 2), sha.slice(2, 4), sha);
  const list = (dir: string, depth: number): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      depth === 0 ? [e.name] : e.isDirectory() ? list(join(dir, e.name), depth - 1) : [],
    );
  return {
    driver: 'local',
    objects: () => Promise.resolve(list(objects, 2).sort()),
    remove: async (sha) => unlinkSync(path(sha)),
  };
}

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  http: ReturnType<typeof request>;
  mail: SmtpSink;
  /** what the app logged (the real logger, kept in memory) */
  logs: LogSink;
  env: Record<string, string>;
  databaseUrl: string;
  storage: TestStorage;
  /** run every queued background job now (mail delivery, processing) */
  drain(): Promise<number>;
  advanceClock(seconds: number): Promise<void>;
  close(): Promise<void>;
}

const recorded = new Set<string>();

/** Writes the error codes this test file's servers answered, for the catalogue check. */
function flushCodes(): void {
  const file = join(
    CODES_DIR,
    `${basename(expect.getState().testPath ?? 'unknown')}-${process.pid}-${Date.now()}.json`,
  );
  writeFileSync(file, JSON.stringify([...recorded]));
}

/**
 * Boots the real application (same factory as `npm start`) on a free port, against its own
 * database and a local SMTP server. `env` overrides the configuration. Storage: the local
 * directory, or with `storage: 's3'` (default: TEST_STORAGE) a local S3-compatible server of its
 * own — unless `env` names one (STORAGE_URL…, e.g. an S3Server shared by several apps).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  shared?: { database?: TestDatabase; smtp?: SmtpSink; storage?: StorageDriver; s3?: S3Server },
): Promise<TestApp> {
  let s3 = shared?.s3;
  const ownS3 = !s3 && !env.STORAGE_URL && (shared?.storage ?? TEST_STORAGE) === 's3';
  if (ownS3) {
    s3 = new S3Server();
    await s3.start();
  }
  const database = shared?.database ?? (await createTestDatabase());
  const mail = shared?.smtp ?? new SmtpSink();
  const smtpUrl = shared?.smtp ? `smtp://127.0.0.1:${mail.port}` : await mail.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'beat-e2e-'));
  const fullEnv = {
    ...DEFAULT_ENV,
    DATA_DIR: dataDir,
    SMTP_URL: smtpUrl,
    DATABASE_URL: database.url,
    ...s3?.env,
    ...env,
  };
  const config = loadConfig(fullEnv);
  const logs = new LogSink();

  const app = await createApp(config, {
    logDestination: logs,
    configure: (fastify) =>
      fastify.addHook('onSend', async (_req, reply, payload) => {
        if (reply.statusCode >= 400 && typeof payload === 'string') {
          try {
            const code = (JSON.parse(payload) as { code?: unknown }).code;
            if (typeof code === 'string') recorded.add(code);
          } catch {
            // not JSON
          }
        }
        return payload;
      }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const http = request(url);
  const local = localStorage(config.storageDir);
  const objects = s3 ? () => s3.objects() : local.objects;
  const storage: TestStorage = {
    driver: s3 ? 's3' : 'local',
    objects,
    has: async (sha) => (await objects()).includes(sha),
    remove: s3 ? (sha) => s3.remove(sha) : local.remove,
    spool: () => readdirSync(join(config.storageDir, 'tmp')),
  };

  return {
    app,
    url,
    http,
    mail,
    logs,
    env: fullEnv,
    databaseUrl: database.url,
    storage,
    drain: async () =>
      ((await http.post('/api/v1/__test/jobs/drain').expect(200)).body as { processed: number }).processed,
    advanceClock: async (seconds) => {
      await http.post('/api/v1/__test/clock').send({ advance_seconds: seconds }).expect(200);
    },
    close: async () => {
      flushCodes();
      await app.close();
      if (!shared?.smtp) await mail.stop();
      if (!shared?.database) await database.drop();
      if (ownS3) await s3!.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The test clock is shared by every instance on a database (TEST_HOOKS=1; a move reaches the
 * others by NOTIFY): waits until every app shows the first one's offset.
 */
export async function clockSettled(...apps: TestApp[]): Promise<void> {
  const offsetOf = async (t: TestApp) =>
    ((await t.http.get('/api/v1/__test/clock').expect(200)).body as { offset_ms: number }).offset_ms;
  const target = await offsetOf(apps[0]);
  for (const t of apps.slice(1)) {
    for (let i = 0; (await offsetOf(t)) !== target; i++) {
      if (i > 500) throw new Error(`instance ${t.url} never reached the clock offset ${target} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
