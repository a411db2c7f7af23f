// Summarises a V8 CPU profile (.cpuprofile, from `node --cpu-prof` or the inspector) of the app
// server: self time by category, as a share of busy CPU (idle left out), and the top functions.
//   node bench/profile-summary.mjs app.cpuprofile [more.cpuprofile…]
import { readFileSync } from 'node:fs';

const CATEGORIES = [
  ['Prisma query compiler (WebAssembly)', (u) => u.startsWith('wasm://') || /query_compiler|\.wasm/.test(u)],
  ['Prisma client runtime', (u) => /@prisma\/|\.prisma\/client|adapter-pg/.test(u)],
  ['pg driver', (u) => /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-)/.test(u)],
  ['pg-boss', (u) => /node_modules\/pg-boss/.test(u)],
  ['Stripe SDK', (u) => /node_modules\/stripe\//.test(u)],
  ['Nest + rxjs', (u) => /node_modules\/(@nestjs|rxjs|reflect-metadata)/.test(u)],
  [
    'Fastify',
    (u) => /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify)/.test(u),
  ],
  [
    'validation (class-validator/-transformer)',
    (u) => /node_modules\/(class-validator|class-transformer|validator)/.test(u),
  ],
  ['logging (pino)', (u) => /node_modules\/(pino|sonic-boom|thread-stream)/.test(u)],
  ['JWT + crypto libs', (u) => /node_modules\/(fast-jwt|@node-rs|argon2)/.test(u)],
  ['other dependencies', (u) => /node_modules\//.test(u)],
  ['our code (dist/)', (u) => /\/dist\//.test(u)],
  ['garbage collection', (u, f) => f === '(garbage collector)'],
  ['socket writes (writev, writeBuffer, writeString)', (u, f) => u === '' && /^write/.test(f)],
  [
    'sockets, streams, HTTP (node:)',
    (u) => /^node:(net|stream|internal\/(stream|net|http|streams)|_http|http|internal\/js_stream)/.test(u),
  ],
  ['other Node internals', (u) => u.startsWith('node:') || u === ''],
];

for (const file of process.argv.slice(2)) {
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (timeDeltas[i] ?? 0)));
  const totals = new Map();
  const fns = new Map();
  let busy = 0;
  for (const [id, us] of self) {
    const { url, functionName } = byId.get(id).callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busy += us;
    const cat = CATEGORIES.find(([, test]) => test(url, functionName))?.[0] ?? 'other';
    totals.set(cat, (totals.get(cat) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(1)} %`;
  console.log(`\n${file}: busy CPU ${(busy / 1e6).toFixed(1)} s`);
  for (const [cat, us] of [...totals].sort((a, b) => b[1] - a[1]))
    console.log(`  ${pct(us).padStart(7)}  ${cat}`);
  console.log('  top functions (self):');
  for (const [fn, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`  ${pct(us).padStart(7)}  ${fn.slice(0, 110)}`);
}
