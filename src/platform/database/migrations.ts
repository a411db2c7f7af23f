import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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
 * Whether the database already holds every migration of prisma/migrations, finished and not
 * rolled back, with no failed one: one query, where the Prisma CLI costs seconds of every start.
 * Any doubt (no migrations table yet, a pending or failed migration) answers false.
 */
export async function migrationsUpToDate(databaseUrl: string, root = projectRoot()): Promise<boolean> {
  const dir = join(root, 'prisma', 'migrations');
  const wanted = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql')))
    .map((e) => e.name);
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const table = await client.query<{ t: string | null }>(
      `SELECT to_regclass('_prisma_migrations')::text AS t`,
    );
    if (!table.rows[0].t) return false;
    const { rows } = await client.query<{ name: string; ok: boolean }>(
      `SELECT migration_name AS name, finished_at IS NOT NULL AS ok
       FROM _prisma_migrations WHERE rolled_back_at IS NULL`,
    );
    if (rows.some((r) => !r.ok)) return false;
    const applied = new Set(rows.map((r) => r.name));
    return wanted.every((name) => applied.has(name));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Applies pending migrations with `prisma migrate deploy` (the WebAssembly schema engine through
 * the pg adapter, see prisma.config.ts), unless every one is already applied. Concurrent starts
 * are safe: Prisma takes an advisory lock (and a start that finds nothing to do changes nothing).
 */
export async function migrateDatabase(databaseUrl: string): Promise<'applied' | 'up to date'> {
  const root = projectRoot();
  if (await migrationsUpToDate(databaseUrl, root)) return 'up to date';
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
  return 'applied';
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
