// Listening: what a producer waits for and what a listener costs, on a 4-minute 44.1 kHz stereo
// 16-bit WAV (music-like: src/seed/generated-audio.ts `piece`, a melody with noise — a pure sine
// is the native AAC encoder's worst case, not music's).
//
// - upload → streamable: BENCH_LISTEN_UPLOADS (5) uploads, one at a time, each its own piece;
//   from the 201 of POST /tracks until GET /tracks/:id/stream answers 302, polled every 100 ms,
//   the app's workers polling (JOBS_AUTORUN=1): p50 and max (goal ≤ 10 s). Beside it, the raw
//   baseline: ffmpeg alone encoding the same AAC (no queue, fingerprint, peaks or loudness).
// - the render: `renderTrack` (dist/modules/listening/media/render.js, in this process) without
//   and with a voice tag, BENCH_LISTEN_RENDERS (3) rounds alternating with the raw ffmpeg encode
//   (one output; two for the tagged line): seconds and × real time.
// - 64 KB ranges at random offsets: GET /api/v1/media?token=… (HMAC check, one prepared statement
//   for the rendition, then the bytes) against a bare Fastify with @fastify/static's sendFile
//   serving the same object file (this file, run as a script), the usual alternating loads.
// - BENCH_LISTEN_LISTENERS (200) listeners each reading the whole rendition (`Range: bytes=0-`,
//   as a browser's <audio> asks) at BENCH_LISTEN_RATE (20 KB/s) for BENCH_LISTEN_SECONDS (10):
//   the server's RSS before and its maximum during (goal ≤ +64 MB), app and raw.
// The summary's "req/s" columns are × real time (render lines), req/s (ranges) and KB/s received
// (listeners); p50/p99 are seconds (p99 = max) on the time lines, ms elsewhere.
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  appEnv,
  check,
  databaseServer,
  freshDatabase,
  load,
  median,
  medians,
  pct,
  pool,
  QUICK,
  report,
  ROOT,
  ROUNDS,
  row,
  signedInHeaders,
  startServer,
} from '../lib.mjs';

// at least one of each: the later lines stream the first upload and compare with the first render
const UPLOADS = Math.max(1, Number(process.env.BENCH_LISTEN_UPLOADS ?? (QUICK ? 2 : 5)));
const RENDERS = Math.max(1, Number(process.env.BENCH_LISTEN_RENDERS ?? (QUICK ? 1 : 3)));
const LISTENERS = Number(process.env.BENCH_LISTEN_LISTENERS ?? 200);
const LISTEN_SECONDS = Number(process.env.BENCH_LISTEN_SECONDS ?? (QUICK ? 5 : 10));
const LISTEN_RATE = Number(process.env.BENCH_LISTEN_RATE ?? 20 * 1024);
const AUDIO_SECONDS = 240;
const RANGE_BYTES = 64 * 1024;
const POLL_MS = 100;
const GOAL_STREAMABLE_S = 10;
const GOAL_RANGE_RATIO = 0.8;
const GOAL_RSS_MB = 64;
// the app's stream rendition (src/modules/listening/media/render.ts)
const ENCODE = ['-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', '-map_metadata', '-1', '-f', 'mp4'];

const SELF = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);

// Run as a script (startServer): the raw baseline, @fastify/static serving one file at /media.
if (process.argv[1] === SELF) {
  const file = process.env.BENCH_LISTEN_RAW_FILE;
  const server = Fastify({ logger: false });
  // serve: false — no wildcard route, only reply.sendFile (send: ranges, ETag, stat per request)
  await server.register(fastifyStatic, { root: dirname(file), serve: false });
  server.get('/media', (_req, reply) => reply.sendFile(basename(file)));
  server.get('/health', () => ({ status: 'ok' }));
  await server.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

const status = (pid) => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)[1]) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
};

const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
/** CPU seconds of this process's reaped children (ffmpeg), from /proc/self/stat (cutime + cstime). */
const childCpu = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICK;
};

/** Time and CPU seconds (ffmpeg's and this process's) of one async task. */
async function timed(task) {
  const c0 = childCpu();
  const own = process.cpuUsage();
  const t0 = performance.now();
  const result = await task();
  const wall = (performance.now() - t0) / 1000;
  const { user, system } = process.cpuUsage(own);
  return { result, wall, cpu: childCpu() - c0 + (user + system) / 1e6 };
}

/** The bare encode: the same ffmpeg at the same priority, `outputs` AAC renditions of `input`. */
function rawEncode(ffmpeg, input, dir, outputs) {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-f', 'wav', '-i', input];
  if (outputs === 2) args.push('-filter_complex', '[0:a]asplit=2[a][b]');
  for (let i = 0; i < outputs; i++) {
    if (outputs === 2) args.push('-map', i ? '[b]' : '[a]');
    args.push(...ENCODE, '-y', join(dir, `raw-${i}.m4a`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid !== undefined) setPriority(child.pid, 10); // as runFfmpeg does
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg: ${err.slice(-500)}`))));
  });
}

const secondsSummary = (times) => ({
  rps: Math.round(AUDIO_SECONDS / median(times)),
  p50: +median(times).toFixed(2),
  p99: +Math.max(...times).toFixed(2),
  failed: 0,
});

export default async function listening() {
  const dir = join(ROOT, '.data', 'bench-listening');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { piece, wav } = require(join(ROOT, 'dist/seed/generated-audio.js'));
  const { renderTrack } = require(join(ROOT, 'dist/modules/listening/media/render.js'));
  const { FFMPEG_PATH } = require(join(ROOT, 'dist/modules/listening/media/ffmpeg.js'));
  let app;
  let raw;
  const rows = [];
  try {
    const files = Array.from({ length: UPLOADS }, (_, i) => {
      const path = join(dir, `piece-${i}.wav`);
      writeFileSync(path, wav(piece(1000 + i, AUDIO_SECONDS, { channels: 2 })));
      return path;
    });
    const tagPath = join(dir, 'tag.wav');
    writeFileSync(tagPath, wav(piece(77, 3, { channels: 1 })));

    const server = await databaseServer();
    const url = await freshDatabase(server.url, 'beat_bench_listening');
    const dataDir = join(dir, 'data');
    // workers poll as in production; links outlive the longest BENCH_DURATION × BENCH_ROUNDS
    const env = appEnv(url, dataDir, { JOBS_AUTORUN: '1', LIMIT_STREAM_LINK_SECONDS: '3600' });
    app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
    const headers = await signedInHeaders(app.base, url, 'Listening');

    // ---- upload → streamable ------------------------------------------------------------------
    const waits = [];
    const breakdown = [];
    const trackIds = [];
    for (let i = 0; i < UPLOADS; i++) {
      const form = new FormData();
      form.append('title', `Listening ${i}`);
      form.append('bpm', '100');
      form.append('genre', 'ambient');
      form.append('audio', await openAsBlob(files[i]), 'piece.wav');
      const t0 = performance.now();
      const res = await fetch(`${app.base}/api/v1/tracks`, { method: 'POST', headers, body: form });
      const body = await res.json();
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
      const uploaded = performance.now();
      trackIds.push(body.id);
      waits.push((await untilStreamable(app.base, body.id, headers)) / 1000);
      breakdown.push({ upload: (uploaded - t0) / 1000, ...(await jobTimes(url, body.id)) });
      const b = breakdown.at(-1);
      console.log(
        `  upload ${i + 1}/${UPLOADS}: sent in ${b.upload.toFixed(2)} s; streamable ${waits.at(-1).toFixed(2)} s after its 201` +
          (b.queued !== undefined ? ` (queued ${b.queued.toFixed(2)} s, job ${b.job.toFixed(2)} s)` : ''),
      );
    }

    // ---- the render alone, and the raw encode ---------------------------------------------------
    const renders = { clean: [], tagged: [], raw1: [], raw2: [] };
    const cpu = { clean: [], tagged: [], raw1: [], raw2: [] };
    let made;
    for (let r = 0; r < RENDERS; r++) {
      for (const [key, task] of [
        ['clean', () => renderTrack(files[0], { outDir: dir, tagIntervalSeconds: 30 })],
        ['raw1', () => rawEncode(FFMPEG_PATH, files[0], dir, 1)],
        ['tagged', () => renderTrack(files[0], { outDir: dir, voiceTag: tagPath, tagIntervalSeconds: 30 })],
        ['raw2', () => rawEncode(FFMPEG_PATH, files[0], dir, 2)],
      ]) {
        const t = await timed(task);
        renders[key].push(t.wall);
        cpu[key].push(t.cpu);
        if (key === 'tagged') made = t.result;
      }
    }
    check(
      made.clean.bytes > 0 &&
        made.tagged?.bytes > 0 &&
        Math.abs(made.durationMs - AUDIO_SECONDS * 1000) < 100,
      `renderTrack made both renditions of ${AUDIO_SECONDS} s (${made.durationMs} ms; ${made.clean.bytes} and ${made.tagged?.bytes} bytes)`,
    );
    const speed = (key) =>
      `${median(renders[key]).toFixed(2)} s (${(AUDIO_SECONDS / median(renders[key])).toFixed(0)}× real time; CPU ${median(cpu[key]).toFixed(2)} s)`;
    console.log(`  renderTrack, no voice tag: ${speed('clean')}; ffmpeg encode alone: ${speed('raw1')}`);
    console.log(
      `  renderTrack, voice tag:    ${speed('tagged')}; ffmpeg two encodes alone: ${speed('raw2')}`,
    );
    const p50 = median(waits);
    const max = Math.max(...waits);
    console.log(
      `  upload → streamable: p50 ${p50.toFixed(2)} s, max ${max.toFixed(2)} s over ${UPLOADS} ` +
        `(goal ≤ ${GOAL_STREAMABLE_S} s: ${max <= GOAL_STREAMABLE_S ? 'met' : 'NOT met'})`,
    );
    rows.push(
      {
        title: `upload → streamable, ${AUDIO_SECONDS / 60}-min WAV (s)`,
        app: secondsSummary(waits),
        baseline: secondsSummary(renders.raw1),
        ratio: +(median(renders.raw1) / p50).toFixed(2),
        goalSeconds: GOAL_STREAMABLE_S,
        uploads: breakdown.map((b, i) => ({ ...b, streamable: +waits[i].toFixed(3) })),
      },
      {
        title: 'renderTrack, no voice tag (× real time)',
        app: secondsSummary(renders.clean),
        baseline: secondsSummary(renders.raw1),
        ratio: +(median(renders.raw1) / median(renders.clean)).toFixed(2),
        cpuSeconds: { app: +median(cpu.clean).toFixed(2), raw: +median(cpu.raw1).toFixed(2) },
      },
      {
        title: 'renderTrack, voice tag (× real time)',
        app: secondsSummary(renders.tagged),
        baseline: secondsSummary(renders.raw2),
        ratio: +(median(renders.raw2) / median(renders.tagged)).toFixed(2),
        cpuSeconds: { app: +median(cpu.tagged).toFixed(2), raw: +median(cpu.raw2).toFixed(2) },
      },
    );

    // ---- 64 KB ranges ---------------------------------------------------------------------------
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const {
      rows: [rendition],
    } = await db.query(
      `SELECT sha256, size_bytes::float8 AS bytes FROM track_renditions WHERE track_id = $1 AND kind = 'clean'`,
      [trackIds[0]],
    );
    await db.end();
    // the local driver's layout (src/platform/storage/local-storage.ts)
    const { sha256, bytes: size } = rendition;
    const object = join(dataDir, 'storage', 'objects', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
    const content = readFileSync(object);
    check(content.length === size, `the rendition object is ${size} bytes on disk (${content.length})`);
    raw = await startServer('raw', SELF, { BENCH_LISTEN_RAW_FILE: object }, '/health');
    const appPath = await anonymousLink(app.base, trackIds[0]);
    const appUrl = `${app.base}${appPath}`;
    const rawUrl = `${raw.base}/media`;
    for (const [side, target] of [
      ['app', appUrl],
      ['raw', rawUrl],
    ]) {
      const a = Math.floor(Math.random() * (size - RANGE_BYTES));
      const res = await fetch(target, { headers: { range: `bytes=${a}-${a + RANGE_BYTES - 1}` } });
      const got = Buffer.from(await res.arrayBuffer());
      check(
        res.status === 206 &&
          res.headers.get('content-range') === `bytes ${a}-${a + RANGE_BYTES - 1}/${size}` &&
          got.equals(content.subarray(a, a + RANGE_BYTES)),
        `${side}: a 64 KB range is a 206 with the file's bytes (${res.status} ${res.headers.get('content-range')})`,
      );
    }
    const ranged = [
      {
        setupRequest: (req) => {
          const a = Math.floor(Math.random() * (size - RANGE_BYTES));
          return { ...req, headers: { ...req.headers, range: `bytes=${a}-${a + RANGE_BYTES - 1}` } };
        },
      },
    ];
    // alternating rounds as compare() runs them, but unmarked: the raw side sends no statement, so a
    // BENCH_SQL_LOG run (bench/sql-log.mjs compares statements line by line) has nothing to compare
    // both warmed first (JIT, pools, page cache), so the first round measures neither's start
    await load(appUrl, { requests: ranged, duration: 1 });
    await load(rawUrl, { requests: ranged, duration: 1 });
    const runs = { app: [], raw: [] };
    for (let i = 0; i < ROUNDS; i++) {
      runs.app.push(await load(appUrl, { requests: ranged }));
      runs.raw.push(await load(rawUrl, { requests: ranged }));
    }
    const ranges = row('64 KB range at a random offset', medians(runs.app), medians(runs.raw));
    console.log(
      `  64 KB ranges: app ${ranges.app.rps} req/s, raw ${ranges.baseline.rps} req/s: app/raw ${ranges.ratio} ` +
        `(goal ≥ ${GOAL_RANGE_RATIO}: ${ranges.ratio >= GOAL_RANGE_RATIO ? 'met' : 'NOT met'})`,
    );
    rows.push({ ...ranges, goalRatio: GOAL_RANGE_RATIO });

    // ---- slow listeners -------------------------------------------------------------------------
    // one link per listener, as each player asks its own
    const links = [];
    await pool(LISTENERS, 16, async () => links.push(await anonymousLink(app.base, trackIds[0])));
    const a = await listeners(app, links);
    const b = await listeners(
      raw,
      links.map(() => '/media'),
    );
    const growth = +(a.rss.during - a.rss.before).toFixed(1);
    console.log(
      `  app RSS with ${LISTENERS} listeners: +${growth} MB (goal ≤ ${GOAL_RSS_MB} MB: ${growth <= GOAL_RSS_MB ? 'met' : 'NOT met'})`,
    );
    check(
      a.result.failed === 0 && a.result.reading === LISTENERS,
      `app: all ${LISTENERS} listeners got 206 and were still reading at the end (${a.result.reading} were, ${a.result.failed} failed)`,
    );
    rows.push(
      row(
        `${LISTENERS} listeners × ${LISTEN_RATE / 1024} KB/s ${LISTEN_SECONDS} s, app RSS +${growth} MB`,
        a.result,
        b.result,
        { rss: { app: a.rss, raw: b.rss }, goalMb: GOAL_RSS_MB },
      ),
    );

    report(rows, 'listening.json');
    console.log(
      '  (render lines: req/s columns are × real time, p50/p99 are seconds (p99 = max), app/raw = raw time / app time;\n' +
        '   raw is ffmpeg alone making the same AAC; listeners: req/s columns are KB/s received, p50/p99 the time to the first byte)',
    );
  } finally {
    await app?.stop();
    await raw?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls GET /tracks/:id/stream every POLL_MS until it redirects: ms since the call. */
async function untilStreamable(base, id, headers) {
  const t0 = performance.now();
  for (let n = 0; ; n++) {
    const res = await fetch(`${base}/api/v1/tracks/${id}/stream`, { headers, redirect: 'manual' });
    const text = await res.text();
    if (res.status === 302) return performance.now() - t0;
    if (res.status !== 409) throw new Error(`stream answered ${res.status}: ${text}`);
    if (n % 10 === 9) {
      const track = await (await fetch(`${base}/api/v1/tracks/${id}`, { headers })).json();
      if (track.processing_status === 'failed')
        throw new Error(`processing failed: ${JSON.stringify(track)}`);
      if (performance.now() - t0 > 300_000)
        throw new Error(`not streamable after 300 s: ${JSON.stringify(track)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The processing job's wait in the queue and its run (pg-boss's own timestamps), if found. */
async function jobTimes(url, trackId) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM started_on - created_on)::float8 AS queued,
              extract(epoch FROM completed_on - started_on)::float8 AS job
       FROM pgboss.job WHERE name = 'track.process' AND data->>'trackId' = $1
       ORDER BY created_on DESC LIMIT 1`,
      [trackId],
    );
    const [r] = rows;
    return r && r.job !== null ? { queued: r.queued, job: r.job } : {};
  } catch {
    return {}; // pg-boss's tables are its own business: the breakdown is a bonus
  } finally {
    await db.end();
  }
}

/** An anonymous listener's media path (the 302's relative Location). */
async function anonymousLink(base, id) {
  const res = await fetch(`${base}/api/v1/tracks/${id}/stream`, { redirect: 'manual' });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`stream answered ${res.status} without a Location`);
  return location;
}

/**
 * `paths.length` clients at once, each asking the whole file (`Range: bytes=0-`) and reading it at
 * LISTEN_RATE (the socket paused whenever it is ahead), cut after LISTEN_SECONDS; the server's RSS
 * sampled every 250 ms. TTFB percentiles in ms, KB/s received in all.
 */
async function listeners(server, paths) {
  const before = status(server.pid).rss;
  const samples = [];
  const timer = setInterval(() => samples.push(status(server.pid).rss), 250);
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const ttfb = [];
  const timers = new Set();
  let received = 0;
  let failed = 0;
  let reading = 0;
  const t0 = performance.now();
  const end = t0 + LISTEN_SECONDS * 1000;
  await Promise.all(
    paths.map(
      (path) =>
        new Promise((resolve) => {
          const start = performance.now();
          const req = get(`${server.base}${path}`, { agent, headers: { range: 'bytes=0-' } }, (res) => {
            ttfb.push(performance.now() - start);
            if (res.statusCode !== 206) failed++;
            let got = 0;
            res.on('data', (chunk) => {
              got += chunk.length;
              received += chunk.length;
              const ahead = (got / LISTEN_RATE) * 1000 - (performance.now() - start);
              if (ahead > 0) {
                res.pause();
                timers.add(setTimeout(() => res.resume(), ahead));
              }
            });
            res.on('error', () => undefined);
          });
          req.on('error', () => {
            failed++;
            resolve();
          });
          setTimeout(() => {
            // still reading when cut: what a listener mid-track is
            if (req.res && !req.res.complete && req.res.statusCode === 206) reading++;
            req.destroy();
            resolve();
          }, end - performance.now());
        }),
    ),
  );
  clearInterval(timer);
  for (const t of timers) clearTimeout(t);
  agent.destroy();
  const seconds = (performance.now() - t0) / 1000;
  const mb = (x) => +x.toFixed(1);
  const rss = {
    before: mb(before),
    during: mb(Math.max(before, ...samples)),
    peak: mb(status(server.pid).peak),
  };
  console.log(
    `  ${server.name}: ${paths.length} listeners, RSS before ${rss.before} MB, max during ${rss.during} MB ` +
      `(+${mb(rss.during - rss.before)}); ${(received / 1024 / seconds).toFixed(0)} KB/s received, ` +
      `first byte p50 ${pct(ttfb, 50).toFixed(1)} / p99 ${pct(ttfb, 99).toFixed(1)} ms`,
  );
  return {
    result: {
      rps: Math.round(received / 1024 / seconds),
      p50: +pct(ttfb, 50).toFixed(1),
      p99: +pct(ttfb, 99).toFixed(1),
      failed,
      reading,
    },
    rss,
  };
}
