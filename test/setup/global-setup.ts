import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PgBoss } from 'pg-boss';
import { startEmbeddedPostgres } from '../../src/platform/database/embedded-postgres';
import { migrateDatabase, projectRoot } from '../../src/platform/database/migrations';
import {
  adminQuery,
  CODES_DIR,
  assertTestDatabase,
  ENV_ADMIN_URL,
  ENV_TEMPLATE,
  templateFingerprint,
  withDatabase,
} from './test-database';

/**
 * Once per `npm test`: find the PostgreSQL to test against (TEST_DATABASE_URL, else an embedded
 * one started here), build a migrated template database (reused while migrations are
 * unchanged), and tell the workers. Each test file then clones the template into a database of
 * its own, so files run in parallel and never share state.
 */
export default async function globalSetup(): Promise<void> {
  const root = projectRoot();
  rmSync(CODES_DIR, { recursive: true, force: true });
  mkdirSync(CODES_DIR, { recursive: true });

  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const dir = join(root, '.data', 'test-postgres');
    const embedded = await startEmbeddedPostgres(dir, {
      database: 'beat_test',
      persistent: true,
      // as root from a folder the postgres user cannot enter: one line that names the way out
      urlVariable: 'TEST_DATABASE_URL',
    });
    (globalThis as { __embeddedPostgres?: typeof embedded }).__embeddedPostgres = embedded;
    adminUrl = embedded.url;
  }
  assertTestDatabase(adminUrl);

  const template = `${decodeURIComponent(new URL(adminUrl).pathname.slice(1))}_tpl_${templateFingerprint(root)}`;
  await adminQuery(adminUrl, async (c) => {
    // one setup at a time per server (two checkouts testing against the same PostgreSQL)
    await c.query('SELECT pg_advisory_lock(727274)');
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return;
      const building = `${template}_building`;
      await c.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${building}"`);
      const url = withDatabase(adminUrl, building);
      await migrateDatabase(url);
      // install pg-boss's schema once, so each test database starts with it
      const boss = new PgBoss({ connectionString: url, max: 2 });
      await boss.start();
      await boss.stop({ graceful: false });
      await c.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(727274)');
    }
  });
  if (!existsSync(CODES_DIR)) mkdirSync(CODES_DIR, { recursive: true });

  process.env[ENV_ADMIN_URL] = adminUrl;
  process.env[ENV_TEMPLATE] = template;
}
