import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

/** The directory holding prisma.config.ts (the project root, from src/ or dist/). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'prisma.config.ts'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('prisma.config.ts not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/**
 * Applies pending migrations with `prisma migrate deploy` (the WebAssembly schema engine through
 * the pg adapter, see prisma.config.ts). Concurrent starts are safe: Prisma takes an advisory lock.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const root = projectRoot();
  const cli = require.resolve('prisma/build/index.js', { paths: [root] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const child = spawn(process.execPath, [cli, 'migrate', 'deploy'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`prisma migrate deploy failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

/** Fails with one clear line when PostgreSQL cannot be reached at boot. */
export async function assertReachable(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const u = new URL(databaseUrl);
    const reason = (err as { code?: string; message: string }).code ?? (err as Error).message;
    throw new Error(
      `Cannot reach PostgreSQL at ${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)} (${reason})`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
