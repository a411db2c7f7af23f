// Foundation: GET /health (one trivial query) and an authenticated GET /me (token check, session
// and user lookup, profile) — the per-request cost every route pays.
import pg from 'pg';
import { appEnv, compare, databaseServer, freshDatabase, load, report, ROOT, startServer } from '../lib.mjs';

export default async function foundation() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_foundation');
  const env = appEnv(url, `${ROOT}/.data/bench`);
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await startServer('raw', `${ROOT}/bench/baseline.mjs`, env, '/api/v1/health');
  try {
    // a signed-in user
    const email = `bench-${Date.now()}@bench.local`;
    const reg = await fetch(`${app.base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password', display_name: 'Bench' }),
    });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query('UPDATE users SET email_verified_at = created_at WHERE email = $1', [email]);
    await db.end();
    const login = await (
      await fetch(`${app.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-password' }),
      })
    ).json();
    const headers = { authorization: `Bearer ${login.access_token}` };

    const rows = [
      await compare(
        'GET /health',
        () => load(`${app.base}/api/v1/health`),
        () => load(`${raw.base}/api/v1/health`),
      ),
      await compare(
        'GET /me (authenticated)',
        () => load(`${app.base}/api/v1/me`, { headers }),
        () => load(`${raw.base}/api/v1/me`, { headers }),
      ),
    ];
    report(rows, 'foundation.json');
  } finally {
    await app.stop();
    await raw.stop();
    await server.stop();
  }
}
