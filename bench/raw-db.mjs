// The raw baselines' database access: a pg pool of the app's size and a transaction helper.
import pg from 'pg';

export const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

/** Runs `fn(client)` in BEGIN … COMMIT, rolling back on a throw. */
export async function tx(fn) {
  const c = await db.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  } finally {
    c.release();
  }
}
