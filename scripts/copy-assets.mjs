// The build copies files tsc does not emit: the audio worker (plain ESM, loaded by worker threads).
import { cpSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
for (const file of walk(join(root, 'src')).filter((f) => f.endsWith('.mjs'))) {
  cpSync(file, join(root, 'dist', relative(join(root, 'src'), file)));
}
