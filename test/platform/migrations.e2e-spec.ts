import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrateDatabase, projectRoot } from '../../src/platform/database/migrations';
import { adminQuery, serverFromEnv, withDatabase } from '../setup/test-database';
import { createTestDatabase, TestDatabase } from '../support/test-app';

/**
 * `npm start` applies migrations on every start; when the database already holds every
 * migration of prisma/migrations, it answers from one query instead of launching the Prisma CLI
 * (seconds of the start). Anything else — a pending migration, a failed one — goes to the CLI.
 */
describe('migrations on start', () => {
  const migrations = readdirSync(join(projectRoot(), 'prisma', 'migrations'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const dropped: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dropped) await db.drop();
  });

  it('skips the CLI when every migration is applied', async () => {
    const db = await createTestDatabase(); // a clone of the migrated template
    dropped.push(db);
    await expect(migrateDatabase(db.url)).resolves.toBe('up to date');
  });

  it('applies every migration to an empty database, then finds it up to date', async () => {
    const { adminUrl } = serverFromEnv();
    const name = `test_migrations_${Math.random().toString(36).slice(2, 8)}`;
    await adminQuery(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
    const url = withDatabase(adminUrl, name);
    dropped.push({
      name,
      url,
      drop: () =>
        adminQuery(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
          () => undefined,
        ),
    });

    await expect(migrateDatabase(url)).resolves.toBe('applied');
    const applied = await adminQuery(url, (c) =>
      c.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1',
      ),
    );
    expect(applied.rows.map((r) => r.migration_name)).toEqual(migrations);
    await expect(migrateDatabase(url)).resolves.toBe('up to date');
  });

  it('hands a database with a failed migration to the CLI, which refuses to start', async () => {
    const db = await createTestDatabase();
    dropped.push(db);
    await adminQuery(db.url, (c) =>
      c.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count, logs)
         VALUES ('failed-one', 'x', '29990101000000_failed', now(), 0, 'it broke')`,
      ),
    );
    await expect(migrateDatabase(db.url)).rejects.toThrow(/prisma migrate deploy failed[\s\S]*P3009/);
  });

  it('hands a database missing a migration to the CLI', async () => {
    const db = await createTestDatabase();
    dropped.push(db);
    const last = migrations[migrations.length - 1];
    // the last migration's row is gone: the CLI runs it again (and here fails on what it finds,
    // since its objects are still there) — what matters is that start did not call it up to date
    await adminQuery(db.url, (c) =>
      c.query('DELETE FROM _prisma_migrations WHERE migration_name = $1', [last]),
    );
    const outcome = await migrateDatabase(db.url).catch(() => 'the CLI refused');
    expect(outcome).not.toBe('up to date');
  });
});
