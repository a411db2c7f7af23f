// What the raw baselines share: the database access and the per-request statements of the app,
// done as the app does them, so that a baseline differs from the app by its code (no Nest, no
// Prisma, no guards' and interceptors' JavaScript, no validation), never by its SQL. The rule
// (README "Benchmarks"): a raw handler sends exactly the app's statements for its route — same
// text, prepared by the same name or unnamed alike, in the same order, on as many pool checkouts
// and in the same transactions. `BENCH_SQL_LOG=1 npm run bench` checks it (bench/sql-log.mjs).
//
// - `db`: a pg pool with the app's settings (Database: 20 connections, the same timeouts);
// - `sql(text, params, name)`, `execute(…)`: one statement on the pool, one checkout, prepared by
//   `name` when given (Database.query / execute);
// - `transaction(fn)`: BEGIN, `fn`'s statements, COMMIT on one checkout; ROLLBACK when it throws;
//   a deadlock or serialization failure runs it again (Database.transaction);
// - `principal(authorization)`: the access token checked as TokenService checks it, its session's
//   statement, then the maintenance switch (AccessGuard on a user route);
// - `maintenanceOpen()`: the switch, read at most once a second per process (MaintenanceService),
//   what AccessGuard checks on an anonymous route;
// - `appModule(path)`: a module of the built app (its exported statements, ids, CallCombiner).
import { createVerifier } from 'fast-jwt';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import pg from 'pg';

/** The built app whose statements and helpers a baseline imports: dist/, or BENCH_APP_DIST (the tests' build of src/). */
const APP = process.env.BENCH_APP_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const requireApp = createRequire(join(APP, 'index.js'));
/** A module of the built app, e.g. `appModule('platform/ids.js')`. */
export const appModule = (path) => requireApp(join(APP, path));

/** REQUEST_TIMEOUT_MS's default, from which the app derives its pool's timeouts */
const REQUEST_TIMEOUT_MS = 30_000;

export const db = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: 20,
  connectionTimeoutMillis: 3_000,
  idleTimeoutMillis: 30_000,
  statement_timeout: REQUEST_TIMEOUT_MS + 5_000,
  idle_in_transaction_session_timeout: REQUEST_TIMEOUT_MS + 5_000,
});
db.on('error', () => undefined);

const runner = (c) => ({
  query: async (text, params = [], name) =>
    (await c.query({ text, values: params, ...(name ? { name } : {}) })).rows,
  execute: async (text, params = [], name) =>
    (await c.query({ text, values: params, ...(name ? { name } : {}) })).rowCount ?? 0,
});
const pooled = runner(db);

/** The rows of one statement on the pool (Database.query). */
export const sql = pooled.query;
/** How many rows one statement on the pool changed (Database.execute). */
export const execute = pooled.execute;

const RETRYABLE = new Set(['40001', '40P01']);

/** `fn({ query, execute })` in one pg transaction on one checkout (Database.transaction). */
export async function transaction(fn) {
  for (let attempt = 1; ; attempt++) {
    const client = await db.connect();
    let broken;
    const onError = (e) => (broken = e);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(runner(client));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((e) => (broken = e));
      if (attempt < 3 && RETRYABLE.has(err.code)) continue;
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
}

/** An answer other than 2xx: status and error code. */
export class Refused extends Error {
  constructor(status, code) {
    super(code);
    this.status = status;
  }
}

/** Fastify's error handler for a raw server: a Refused is its status, anything else a 500. */
export const answerRefusal = (err, _req, reply) => {
  reply.status(err instanceof Refused ? err.status : 500).send({ code: err.message });
};

let maintenance;
/** MaintenanceService.assertOpen: the switch, trusted for a second once read. */
export async function maintenanceOpen() {
  const now = Date.now();
  if (!maintenance || now - maintenance.at >= 1_000) {
    const [row] = await sql(
      'SELECT value FROM platform_settings WHERE key = $1',
      ['maintenance'],
      'maintenance_read',
    );
    maintenance = { enabled: row?.value?.enabled === true, at: now };
  }
  if (maintenance.enabled) throw new Refused(503, 'maintenance_mode');
}

const verify = process.env.JWT_SECRET
  ? createVerifier({
      key: process.env.JWT_SECRET,
      algorithms: ['HS256'],
      ignoreExpiration: true,
      ignoreNotBefore: true,
      requiredClaims: ['sub', 'sid', 'typ', 'exp'],
    })
  : () => {
      throw new Error('JWT_SECRET is not set');
    };

/**
 * The caller of a user route, as AccessGuard and TokenService find it: the bearer access token
 * verified, its session and user read by the app's prepared statement, a suspended user refused,
 * then the maintenance switch (not for admins). Refuses as the app does.
 */
export async function principal(authorization) {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) throw new Refused(401, 'unauthenticated');
  let claims;
  try {
    claims = verify(token);
  } catch {
    throw new Refused(401, 'unauthenticated');
  }
  if (claims.typ !== 'access' || typeof claims.sid !== 'string') throw new Refused(401, 'unauthenticated');
  if (claims.exp * 1000 <= Date.now()) throw new Refused(401, 'token_expired');
  const [row] = await sql(
    `SELECT u.role, u.status, s.revoked_at
       FROM auth_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.user_id = $2`,
    [claims.sid, claims.sub],
    'session_principal',
  );
  if (!row || row.revoked_at) throw new Refused(401, 'unauthenticated');
  if (row.status === 'suspended') throw new Refused(403, 'account_suspended');
  if (row.role !== 'admin') await maintenanceOpen();
  return { userId: claims.sub, role: row.role, status: row.status };
}
