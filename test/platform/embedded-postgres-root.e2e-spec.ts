import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/platform/database/migrations';
import { buildCurrentSource } from '../support/build-source';
import { freePort } from '../support/fleet';
import { TEST_JWT_SECRET } from '../support/test-app';

const isRoot = process.getuid?.() === 0;

/**
 * `npm start` without DATABASE_URL starts the embedded PostgreSQL, which runs as the `postgres`
 * user when this process is root. With its data in a folder that user cannot enter (what
 * `mktemp -d` makes: 0700), it failed with `spawn …/initdb EACCES` or an initdb permission error
 * and a stack; it must say so in one line with the fix, and exit 1. (The same check guards the
 * test harness's and the benchmark's embedded PostgreSQL; the detection itself:
 * src/platform/database/postgres-user-access.spec.ts.)
 */
describe('npm start as root with DATA_DIR in a folder the postgres user cannot enter', () => {
  let closed: string;

  beforeAll(() => {
    closed = mkdtempSync(join(tmpdir(), 'beat-start-closed-'));
    chmodSync(closed, 0o700);
  });

  afterAll(() => rmSync(closed, { recursive: true, force: true }));

  it(
    isRoot ? 'prints one line with the fix and exits 1' : 'starts (not root: PostgreSQL runs as this user)',
    async () => {
      const { main } = await buildCurrentSource();
      const dataDir = join(closed, 'data');
      const port = await freePort();
      const child = spawn(process.execPath, [main], {
        cwd: projectRoot(),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATA_DIR: dataDir,
          PORT: String(port),
          JWT_SECRET: TEST_JWT_SECRET,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

      if (isRoot) {
        expect(await exited).toBe(1);
        expect(stdout).toBe('');
        expect(stderr).toBe(
          `Embedded PostgreSQL cannot run as root with its data in ${join(dataDir, 'postgres')}: the postgres ` +
            `user cannot enter ${closed}; move the data directory (e.g. under /srv) or set DATABASE_URL\n`,
        );
        return;
      }
      try {
        for (;;) {
          if (child.exitCode !== null) throw new Error(`exited while starting:\n${stdout}\n${stderr}`);
          const status = await fetch(`http://127.0.0.1:${port}/api/v1/health`)
            .then(async (res) => (await res.arrayBuffer(), res.status))
            .catch(() => 0);
          if (status === 200) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    },
    180_000,
  );
});
