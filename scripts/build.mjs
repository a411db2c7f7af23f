// The build, in three steps that each run only when their inputs changed since they last ran:
//
//   client   prisma generate             prisma/schema.prisma, package-lock.json (or no client yet)
//   server   tsc (incremental) + assets  src/, tsconfig*.json, package-lock.json, the client step
//   console  vite build console          console/, package-lock.json
//
// A step is stale when a file or directory among its inputs (a directory's mtime moves when an
// entry is added, removed or renamed) is newer than its stamp in dist/.build/, which carries the
// time the step *started* (a file saved during a build makes the next check rebuild). Deleting
// dist/ rebuilds everything.
//
//   node scripts/build.mjs               (`npm run build`, and `prestart`: a no-op when fresh)
//   node scripts/build.mjs --force       every step, whatever the stamps say
//   node scripts/build.mjs --postinstall (`postinstall`): the client always (node_modules was
//       just installed); the rest when its sources and compiler are present (a Docker layer
//       without src/, or a production install without devDependencies, skips it), and a failed
//       compile does not fail the install: the stamp is not written, so `npm start` retries and
//       shows the error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMPS = join(ROOT, 'dist', '.build');
const force = process.argv.includes('--force');
const postinstall = process.argv.includes('--postinstall');
const bin = (pkg, path) => join(ROOT, 'node_modules', pkg, path);

/** The newest mtime (ms) under `path`, directories included; 0 when it does not exist. */
function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist') continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

const stampTime = (step) => {
  try {
    return statSync(join(STAMPS, step)).mtimeMs;
  } catch {
    return -1;
  }
};

const STEPS = [
  {
    name: 'client',
    inputs: ['prisma/schema.prisma', 'package-lock.json'],
    present: () => existsSync(bin('prisma', 'build/index.js')),
    missing: () => !existsSync(join(ROOT, 'node_modules', '.prisma', 'client', 'index.js')),
    commands: () => [[bin('prisma', 'build/index.js'), 'generate']],
  },
  {
    name: 'server',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/copy-assets.mjs'],
    after: ['client'],
    present: () => existsSync(join(ROOT, 'src')) && existsSync(bin('typescript', 'bin/tsc')),
    missing: () => !existsSync(join(ROOT, 'dist', 'main.js')),
    commands: () => [
      [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.build.json'],
      ['scripts/copy-assets.mjs'],
    ],
  },
  {
    name: 'console',
    inputs: ['console', 'package-lock.json'],
    present: () => existsSync(join(ROOT, 'console')) && existsSync(bin('vite', 'bin/vite.js')),
    missing: () => !existsSync(join(ROOT, 'dist', 'admin', 'index.html')),
    commands: () => [[bin('vite', 'bin/vite.js'), 'build', 'console']],
  },
];

const t0 = performance.now();
const ran = new Set();
let failed = false;
for (const step of STEPS) {
  const stamp = stampTime(step.name);
  const changed = step.inputs.filter((input) => newest(join(ROOT, input)) > stamp);
  const stale =
    force ||
    (postinstall && step.name === 'client') ||
    step.missing() ||
    changed.length > 0 ||
    (step.after ?? []).some((s) => ran.has(s));
  if (!stale) continue;
  if (!step.present()) {
    if (postinstall) {
      console.log(`build: ${step.name} skipped (its sources or compiler are not installed)`);
      continue;
    }
    console.error(`build: cannot build ${step.name}: its sources or compiler are missing (npm install?)`);
    process.exit(1);
  }
  const why = force
    ? 'forced'
    : stamp < 0 || step.missing()
      ? 'not built yet'
      : changed.length
        ? `${changed.join(', ')} changed`
        : postinstall && step.name === 'client'
          ? 'after install'
          : 'the client was regenerated';
  const started = new Date();
  const s0 = performance.now();
  // each command is a Node script, run by this Node (no shell, no npx)
  const ok = step
    .commands()
    .every((args) => spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' }).status === 0);
  if (!ok) {
    console.error(`build: ${step.name} failed (${why})`);
    failed = true;
    break;
  }
  mkdirSync(STAMPS, { recursive: true });
  const file = join(STAMPS, step.name);
  writeFileSync(file, `${started.toISOString()}\n`);
  utimesSync(file, started, started);
  ran.add(step.name);
  console.log(`build: ${step.name} (${why}) in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
}
if (failed) {
  if (postinstall) {
    console.error('build: the install goes on; `npm start` (or `npm run build`) retries the build');
    process.exit(0);
  }
  process.exit(1);
}
if (!ran.size && !postinstall)
  console.log(`build: up to date (checked in ${Math.round(performance.now() - t0)} ms)`);
