import { transformFile } from '@swc/core';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { projectRoot } from '../../src/platform/database/migrations';

/**
 * The CURRENT source, as `npm start` runs it, for tests that start the server as separate OS
 * processes (test/fleet, npm run chaos): src/ transpiled by SWC (the same options as the Jest
 * transform, the project's .swcrc) into .data/fleet-build/<hash of src>/, plus the files tsc does
 * not emit (the audio worker's .mjs). Never a stale dist/: the directory is named by the hash of
 * every source file, so an edit makes a new build and an unchanged tree reuses the last one.
 * The build sits under the project root so `projectRoot()` (migrations, admin console) and
 * node_modules resolve as they do from dist/.
 */
export async function buildCurrentSource(): Promise<{ main: string; dir: string; reused: boolean }> {
  const root = projectRoot();
  const src = join(root, 'src');
  const files = walk(src).filter((f) => !f.endsWith('.spec.ts'));
  const swcrc = readFileSync(join(root, '.swcrc'), 'utf8');
  const hash = createHash('sha256').update(swcrc);
  for (const f of files) hash.update(relative(src, f)).update('\0').update(readFileSync(f));
  const base = join(root, '.data', 'fleet-build');
  const dir = join(base, hash.digest('hex').slice(0, 16));
  const main = join(dir, 'main.js');
  if (existsSync(join(dir, '.complete'))) return { main, dir, reused: true };

  const options = { ...(JSON.parse(swcrc) as object), swcrc: false, sourceMaps: false as const };
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await Promise.all(
    files.map(async (file) => {
      const out = join(tmp, relative(src, file));
      mkdirSync(dirname(out), { recursive: true });
      if (file.endsWith('.ts')) {
        const { code } = await transformFile(file, { ...options, filename: file });
        writeFileSync(out.replace(/\.ts$/, '.js'), code);
      } else {
        copyFileSync(file, out);
      }
    }),
  );
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  try {
    renameSync(tmp, dir);
  } catch (err) {
    // another worker built the same tree first: theirs is identical
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, '.complete'))) throw err;
  }
  // keep the build directory from growing: older builds (a day untouched) go
  for (const name of readdirSync(base)) {
    const p = join(base, name);
    if (p !== dir && Date.now() - statSync(p).mtimeMs > 86_400_000)
      rmSync(p, { recursive: true, force: true });
  }
  return { main, dir, reused: false };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}
