import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) out.push(p);
  }
  return out;
}

/**
 * The structure the README draws (layers app → modules → platform → config, domain modules side
 * by side) holds in the code: scripts/check-structure.mjs reads every import of src/ (also a step
 * of .ci/run).
 */
describe('the structure of src/', () => {
  it('has no circle between files or modules, no arrow back up and one way to the database (scripts/check-structure.mjs)', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-structure.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.stdout).toContain('file circles: 0\n');
    expect(run.stdout).toContain('module circles: 0\n');
    expect(run.stdout).toContain('arrows back up: 0\n');
    expect(run.stdout).toContain('second ways to the database: 0\n');
    expect(run.status).toBe(0);
  });

  it('decides access only in the access helpers: no service compares an owner id with the caller', () => {
    // an owner, invitee, buyer, holder, listener or participant field against the caller's id
    const inline =
      /\.(ownerId|inviteeId|buyerId|holderId|producerId|userId|userA|userB)\s*[!=]==\s*principal\.userId|principal\.userId\s*[!=]==\s*\w+\.(ownerId|inviteeId|buyerId|holderId|producerId|userId|userA|userB)\b/;
    const found = files(join(ROOT, 'src', 'modules'))
      .filter((f) => !f.endsWith('-access.ts'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ at: `${relative(ROOT, f)}:${i + 1}`, line: line.trim() }))
          .filter(({ line }) => inline.test(line)),
      );
    expect(found).toEqual([]);
  });
});
