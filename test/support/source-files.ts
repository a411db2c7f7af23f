import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The TypeScript files below `dir`, for the tests that check where a rule is written. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
