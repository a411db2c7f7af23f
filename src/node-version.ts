import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Why `version` (process.versions.node, e.g. "20.20.2") cannot run this server whose package.json
 * promises `engines` (">=22.12"), in one line — or null when it can. Only the ">=x.y.z" form is
 * read; anything else is not checked here (npm reports it at install).
 */
export function unsupportedNodeMessage(version: string, engines: string): string | null {
  const wanted = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines.trim());
  if (!wanted) return null;
  const want = wanted.slice(1).map((n) => Number(n ?? 0));
  const have = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > want[i]) return null;
    if ((have[i] ?? 0) < want[i])
      return (
        `Node.js ${version.replace(/^v?/, 'v')} is too old for this server: it needs Node.js ${engines.trim()} ` +
        `(package.json "engines"); install Node.js 22 LTS (.ci/run fetches one into .tools/node)`
      );
  }
  return null;
}

/** package.json's `engines.node`, found above this file (src/, dist/ or a test build of src/) */
function enginesNode(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; engines?: { node?: string } };
      if (pkg.name === 'beat-platform-api') return pkg.engines?.node;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** On a Node.js older than package.json promises: the one line on stderr, exit 1. */
export function exitOnUnsupportedNode(): void {
  const engines = enginesNode();
  const problem = engines ? unsupportedNodeMessage(process.versions.node, engines) : null;
  if (!problem) return;
  console.error(problem);
  process.exit(1);
}
