import { Pool } from 'pg';
import { JobClock } from '../../src/platform/jobs/job-clock';
import { Clock } from '../../src/platform/clock/clock';
import { createTestDatabase, TestDatabase } from '../support/test-app';

/**
 * Instances booting together each install the job clock (its table and `job_now()`) in the same
 * schema: CREATE TABLE IF NOT EXISTS and CREATE OR REPLACE FUNCTION race without a lock (a
 * duplicate pg_type row, 'tuple concurrently updated'), and the instance that loses exits at
 * boot. Seen once in four fleet runs; here twelve installs at once on a schema without the table.
 */
describe('job clock install', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new Pool({ connectionString: database.url, max: 12 });
    // an idle client's connection ended under it (the database dropped WITH (FORCE) after the
    // test, a loaded CI run) is an 'error' event of the pool: not this test's subject, and unhandled
    // it fails the file; every statement's own error still fails the test
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('twelve instances installing at once all succeed, leaving one table with one row', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = `clock_race_${round}`;
      await pool.query(`CREATE SCHEMA ${schema}`);
      const db = { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) };
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, () => new JobClock(new Clock()).install(db, schema)),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const rows = await pool.query(`SELECT offset_ms FROM ${schema}.app_clock`);
      expect(rows.rows).toEqual([{ offset_ms: '0' }]);
      const now = await pool.query(`SELECT ${schema}.job_now() IS NOT NULL AS ok`);
      expect(now.rows).toEqual([{ ok: true }]);
    }
  });
});
