// `npm run bench [workload ...]`: runs each workload against the app (the built server, as
// `npm start` runs it) and against a raw baseline doing the same SQL, in the same run, and
// prints req/s, p50/p99 latency (ms) and the app/raw ratio. Results also go to bench/results/.
//
//   BENCH_DURATION=10  seconds per autocannon run      BENCH_CONNECTIONS=16
//   BENCH_ROUNDS=2     alternating rounds (medians)    BENCH_DATABASE_URL=postgres://… (else embedded)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './lib.mjs';

const WORKLOADS = {
  foundation: () => import('./workloads/foundation.mjs'),
  fingerprints: () => import('./workloads/fingerprints.mjs'),
  uploads: () => import('./workloads/uploads.mjs'),
  commerce: () => import('./workloads/commerce.mjs'),
  requests: () => import('./workloads/requests.mjs'),
  playlists: () => import('./workloads/playlists.mjs'),
  feed: () => import('./workloads/feed.mjs'),
  radio: () => import('./workloads/radio.mjs'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(WORKLOADS);
for (const name of names)
  if (!WORKLOADS[name])
    throw new Error(`unknown workload ${name}; known: ${Object.keys(WORKLOADS).join(', ')}`);

if (!existsSync(join(ROOT, 'dist', 'main.js')) || process.env.BENCH_BUILD !== '0') {
  console.log('building…');
  await run('npm', ['run', 'build']);
}
for (const name of names) {
  const { default: workload } = await WORKLOADS[name]();
  console.log(`\n== ${name}`);
  await workload();
}
