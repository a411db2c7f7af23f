// Memory: the server's resident set (RSS) under BENCH_MEMORY_SECONDS (60) of authenticated
// GET /me load at BENCH_CONNECTIONS — before the load (booted, one request served), its peak
// (VmHWM) and after — for the app and, for contrast, the raw baseline (bench/baseline.mjs) under
// the same load. Goal: the app's RSS after 60 s ≤ 200 MB. Not part of --quick.
import { readFileSync } from 'node:fs';
import {
  appEnv,
  databaseServer,
  freshDatabase,
  load,
  report,
  ROOT,
  row,
  startServer,
  signedInHeaders,
} from '../lib.mjs';

const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 60);
const GOAL_MB = 200;

const status = (pid) => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)[1]) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
};

/** `SECONDS` of load on `url`, sampling the server's RSS every second. */
async function underLoad(server, url, headers) {
  const before = status(server.pid).rss;
  const samples = [];
  const timer = setInterval(() => samples.push(status(server.pid).rss), 1000);
  const result = await load(url, { headers, duration: SECONDS });
  clearInterval(timer);
  const { rss: after, peak } = status(server.pid);
  const mb = (x) => +x.toFixed(1);
  const at = (s) => mb(samples[Math.min(samples.length - 1, s)] ?? after);
  console.log(
    `  ${server.name}: RSS before ${mb(before)} MB, peak ${mb(peak)} MB, after ${SECONDS} s ${mb(after)} MB ` +
      `(at 10 s ${at(9)}, 30 s ${at(29)}); ${result.rps} req/s`,
  );
  return { result, rss: { before: mb(before), peak: mb(peak), after: mb(after), samples: samples.map(mb) } };
}

export default async function memory() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_memory');
  const env = appEnv(url, `${ROOT}/.data/bench-memory`);
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await startServer('raw', `${ROOT}/bench/baseline.mjs`, env, '/api/v1/health');
  try {
    const headers = await signedInHeaders(app.base, url, 'Memory');
    for (const s of [app, raw]) await (await fetch(`${s.base}/api/v1/me`, { headers })).arrayBuffer();

    const a = await underLoad(app, `${app.base}/api/v1/me`, headers);
    const b = await underLoad(raw, `${raw.base}/api/v1/me`, headers);
    console.log(
      `  app RSS after ${SECONDS} s of GET /me: ${a.rss.after} MB (goal ≤ ${GOAL_MB} MB: ${a.rss.after <= GOAL_MB ? 'met' : 'NOT met'})`,
    );
    report(
      [
        row(`GET /me ${SECONDS} s, app RSS after ${a.rss.after} MB`, a.result, b.result, {
          rss: { app: a.rss, raw: b.rss },
          goalMb: GOAL_MB,
        }),
      ],
      'memory.json',
    );
  } finally {
    await app.stop();
    await raw.stop();
  }
}
