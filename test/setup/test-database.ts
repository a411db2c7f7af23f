import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** Connection facts handed from the global setup to every test worker through the environment. */
export interface TestDatabaseServer {
  /** the server's admin URL (a database whose name contains "test") */
  adminUrl: string;
  template: string;
}

/** Where each test file writes the error codes its servers answered (see global-teardown). */
export const CODES_DIR = join(__dirname, '..', '..', '.data', 'test-codes');

export const ENV_ADMIN_URL = 'E2E_ADMIN_DATABASE_URL';
export const ENV_TEMPLATE = 'E2E_TEMPLATE_DATABASE';

export function serverFromEnv(): TestDatabaseServer {
  const adminUrl = process.env[ENV_ADMIN_URL];
  const template = process.env[ENV_TEMPLATE];
  if (!adminUrl || !template)
    throw new Error('e2e database not prepared: run the tests through jest (global setup)');
  return { adminUrl, template };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Refuse to touch a database that is not obviously a test database. */
export function assertTestDatabase(url: string): void {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/test/i.test(name)) {
    throw new Error(`Refusing to run the e2e tests against "${name}": its name must contain "test".`);
  }
}

/** A hash of everything that shapes the template, so an unchanged schema reuses it. */
export function templateFingerprint(root: string): string {
  const hash = createHash('sha256');
  const dir = join(root, 'prisma', 'migrations');
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.toml')) continue;
    hash.update(name).update(readFileSync(join(dir, name, 'migration.sql')));
  }
  hash.update(
    JSON.parse(readFileSync(join(root, 'node_modules', 'pg-boss', 'package.json'), 'utf8')).version as string,
  );
  return hash.digest('hex').slice(0, 12);
}

export async function adminQuery<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
