// A 256 MB upload through POST /tracks (multipart, spooled while hashed, then written to the
// store) on each storage driver: the server's resident memory growth (peak RSS, VmHWM, minus
// RSS before) and its throughput, beside a raw baseline in the same run that streams the same
// bytes straight to the same target — a bare Node HTTP server piping the request body to a file
// (local), or into an S3 multipart upload through the SDK with the app's part size and
// concurrency (s3; s3rver on localhost, in a process of its own). Every round's file differs
// (content-addressed storage would skip writing bytes it already has).
// BENCH_UPLOAD_DRIVERS=local,s3 (default both).
import { Upload } from '@aws-sdk/lib-storage';
import { S3Client } from '@aws-sdk/client-s3';
import { closeSync, openSync, openAsBlob, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import pg from 'pg';
import {
  appEnv,
  databaseServer,
  freePort,
  freshDatabase,
  measured,
  report,
  ROOT,
  startServer,
} from '../lib.mjs';

const SIZE = Number(process.env.BENCH_UPLOAD_BYTES ?? 256 * 1024 * 1024);
const ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 3);
const DRIVERS = (process.env.BENCH_UPLOAD_DRIVERS ?? 'local,s3').split(',').map((d) => d.trim());
// the app's S3 driver settings (src/platform/storage/s3-storage.ts)
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
const BUCKET = 'beat-bench';
const S3_KEY = 'S3RVER';

/** Makes the file's bytes unique for this round (one sample of the data chunk). */
function stamp(path, round) {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(4);
  b.writeUInt32LE((Date.now() + round) >>> 0);
  writeSync(fd, b, 0, 4, 44);
  closeSync(fd);
}

/** A valid 16-bit stereo 44.1 kHz WAV of `size` bytes (a slow sweep, so it is real audio). */
function makeWav(path, size) {
  const dataBytes = size - 44;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(size - 8, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44_100, 24);
  header.writeUInt32LE(44_100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < chunk.length / 2; i++) chunk.writeInt16LE(Math.round(8000 * Math.sin(i / 20)), i * 2);
  for (let written = 0; written < dataBytes; written += chunk.length)
    writeSync(fd, chunk, 0, Math.min(chunk.length, dataBytes - written));
  closeSync(fd);
}

const memory = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

async function rawServer(dir, s3) {
  const port = await freePort();
  let n = 0;
  const client = s3 ? new S3Client(s3) : null;
  const server = createServer(async (req, res) => {
    if (client) {
      await new Upload({
        client,
        params: { Bucket: BUCKET, Key: `raw/${n++}`, Body: req },
        partSize: PART_BYTES,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      }).done();
    } else {
      await pipeline(req, createWriteStream(join(dir, `raw-${n++}`)));
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(r)) };
}

async function timeUpload(url, body, headers = {}) {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers, duplex: 'half' });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${text}`);
  return (performance.now() - t0) / 1000;
}

export default async function uploads() {
  const dir = join(ROOT, '.data', 'bench-uploads');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'big.wav');
  makeWav(file, SIZE);
  const server = await databaseServer();
  const rows = [];
  try {
    for (const driver of DRIVERS) rows.push(await measure(driver, server, dir, file));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  report(rows, 'uploads.json');
  console.log('  (req/s columns are MB/s here; p50/p99 are seconds per upload)');
}

async function measure(driver, server, dir, file) {
  if (!['local', 's3'].includes(driver)) throw new Error(`BENCH_UPLOAD_DRIVERS: unknown driver ${driver}`);
  const url = await freshDatabase(server.url, `beat_bench_uploads_${driver}`);
  const s3 =
    driver === 's3'
      ? await startServer(
          's3rver',
          `${ROOT}/bench/s3rver-server.mjs`,
          { S3_DIR: join(dir, 's3'), BENCH_S3_BUCKET: BUCKET },
          '/',
        )
      : null;
  const s3Env = s3
    ? {
        STORAGE_URL: `s3://${BUCKET}/tracks`,
        S3_ENDPOINT: s3.base,
        S3_REGION: 'us-east-1',
        S3_FORCE_PATH_STYLE: '1',
        AWS_ACCESS_KEY_ID: S3_KEY,
        AWS_SECRET_ACCESS_KEY: S3_KEY,
      }
    : {};
  // JOBS_AUTORUN=0 (appEnv): fingerprinting would compete for the CPU we measure
  const env = appEnv(url, join(dir, `data-${driver}`), s3Env);
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await rawServer(
    dir,
    s3 && {
      endpoint: s3.base,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
    },
  );
  try {
    const email = `bench-${Date.now()}@bench.local`;
    await fetch(`${app.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password', display_name: 'Bench' }),
    });
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query('UPDATE users SET email_verified_at = created_at WHERE email = $1', [email]);
    await db.end();
    const { access_token } = await (
      await fetch(`${app.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-password' }),
      })
    ).json();

    const before = memory(app.pid);
    const appTimes = [];
    const rawTimes = [];
    for (let i = 0; i < ROUNDS; i++) {
      stamp(file, i);
      const form = new FormData();
      form.append('title', `Big ${i}`);
      form.append('bpm', '100');
      form.append('genre', 'ambient');
      form.append('audio', await openAsBlob(file), 'big.wav');
      const line = `upload ${(SIZE / 1024 / 1024).toFixed(0)} MB, ${driver} (MB/s)`;
      appTimes.push(
        await measured(
          line,
          'app',
          () => timeUpload(`${app.base}/api/v1/tracks`, form, { authorization: `Bearer ${access_token}` }),
          () => 1,
        ),
      );
      const blob = await openAsBlob(file);
      rawTimes.push(
        await measured(
          line,
          'raw',
          () => timeUpload(`${raw.base}/`, blob),
          () => 1,
        ),
      );
    }
    const after = memory(app.pid);
    const mb = SIZE / 1024 / 1024;
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const appRate = mb / median(appTimes);
    const rawRate = mb / median(rawTimes);
    console.log(
      `  ${driver}: ${mb.toFixed(0)} MB × ${ROUNDS}: app ${appRate.toFixed(0)} MB/s, raw ${rawRate.toFixed(0)} MB/s (app/raw ${(appRate / rawRate).toFixed(2)})`,
    );
    console.log(
      `  server RSS before ${before.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB: growth ${(after.peak - before.rss).toFixed(0)} MB (goal ≤ 64 MB)`,
    );
    return {
      title: `upload ${mb.toFixed(0)} MB, ${driver} (MB/s)`,
      app: {
        rps: Math.round(appRate),
        p50: +median(appTimes).toFixed(2),
        p99: +Math.max(...appTimes).toFixed(2),
        failed: 0,
      },
      baseline: {
        rps: Math.round(rawRate),
        p50: +median(rawTimes).toFixed(2),
        p99: +Math.max(...rawTimes).toFixed(2),
        failed: 0,
      },
      ratio: +(appRate / rawRate).toFixed(2),
      rssGrowthMb: +(after.peak - before.rss).toFixed(1),
    };
  } finally {
    await app.stop();
    await raw.stop();
    await s3?.stop();
  }
}
