// Summarises a V8 .cpuprofile (`node --cpu-prof`) by where the busy time went: self time per
// category (Prisma, pg, Nest, rxjs, Fastify, pino, class-validator, our code, socket writes, GC, …)
// as a share of the non-idle samples, and the top functions by self time.
//
//   node bench/cpuprofile-summary.mjs path/to/file.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const CATEGORIES = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['program (native, unattributed)', (f) => f.functionName === '(program)'],
  ['Prisma WASM query compiler', (f) => f.url.startsWith('wasm://') || /query_compiler/.test(f.url)],
  ['Prisma client runtime', (f) => /@prisma\/|\.prisma\/client|prisma\/client/.test(f.url)],
  ['pg driver', (f) => /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-)/.test(f.url)],
  ['Nest', (f) => /node_modules\/@nestjs\//.test(f.url)],
  ['rxjs', (f) => /node_modules\/rxjs\//.test(f.url)],
  ['class-validator / class-transformer', (f) => /node_modules\/class-(validator|transformer)\//.test(f.url)],
  ['helmet / cors', (f) => /node_modules\/(@fastify\/helmet|helmet|@fastify\/cors)\//.test(f.url)],
  [
    'Fastify (+ router, serializer)',
    (f) =>
      /node_modules\/(fastify|find-my-way|avvio|light-my-request|fast-json-stringify|@fastify\/|fast-querystring|fast-content-type-parse|toad-cache|fastq|process-warning|abstract-logging|secure-json-parse|safe-regex2|ret|rfdc|fast-decode-uri-component)\//.test(
        f.url,
      ),
  ],
  [
    'pino (logging)',
    (f) =>
      /node_modules\/(pino|pino-std-serializers|sonic-boom|quick-format-unescaped|fast-redact|thread-stream|on-exit-leak-free)\//.test(
        f.url,
      ),
  ],
  ['ioredis', (f) => /node_modules\/(ioredis|redis-parser|@ioredis)\//.test(f.url)],
  ['fast-jwt', (f) => /node_modules\/fast-jwt\//.test(f.url)],
  ['our code (dist/)', (f) => /\/dist\//.test(f.url) && !/node_modules/.test(f.url)],
  ['other node_modules', (f) => /node_modules\//.test(f.url)],
  [
    'socket writes / reads (net, stream)',
    (f) =>
      /^(node:)?(internal\/)?(net|stream|internal\/stream_base_commons|internal\/streams\/|_http_|internal\/http)/.test(
        f.url.replace(/^node:/, ''),
      ) ||
      /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeGeneric|onStreamRead|shutdown)$/.test(
        f.functionName,
      ),
  ],
  ['http (node core)', (f) => /(^|\/)_http_|^node:_http/.test(f.url)],
  ['other node core', (f) => f.url.startsWith('node:') || f.url === '' || f.url.startsWith('internal/')],
  ['other', () => true],
];

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const cat = new Map();
const fns = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of self) {
  const f = byId.get(id).callFrame;
  const [name] = CATEGORIES.find(([, test]) => test(f));
  total += us;
  if (name === 'idle') {
    idle += us;
    continue;
  }
  cat.set(name, (cat.get(name) ?? 0) + us);
  const short = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  const key = `${f.functionName || '(anonymous)'}  ${short}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(
  `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)} %)`,
);
console.log('\nself time by category (share of busy):');
for (const [name, us] of [...cat].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${name}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [name, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us)}  ${name}`);
