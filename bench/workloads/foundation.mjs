// Foundation: GET /health (one trivial query) and an authenticated GET /me (token check, session
// and user lookup, profile) — the per-request cost every route pays.
import {
  appEnv,
  compare,
  databaseServer,
  freshDatabase,
  load,
  report,
  ROOT,
  startServer,
  signedInHeaders,
} from '../lib.mjs';

export default async function foundation() {
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_foundation');
  const env = appEnv(url, `${ROOT}/.data/bench`);
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await startServer('raw', `${ROOT}/bench/baseline.mjs`, env, '/api/v1/health');
  try {
    // a signed-in user
    const headers = await signedInHeaders(app.base, url, 'Bench');

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
