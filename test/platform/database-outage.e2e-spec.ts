import { Client } from 'pg';
import { SseClient } from '../support/social';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { adminQuery, serverFromEnv } from '../setup/test-database';
import { Database } from '../../src/platform/database/database';
import { expectError } from '../support/expect-error';
import { registerUser, TestUser } from '../support/users';

/** PostgreSQL goes away and comes back: 503 service_unavailable meanwhile, no crash, recovery by itself. */
describe('database outage', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    t = await startTestApp(
      { DATABASE_URL: viaProxy.toString() },
      { database: { ...db, url: viaProxy.toString(), drop: async () => undefined } },
    );
    user = await registerUser(t);
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.stop();
    await db?.drop();
  });

  it('reports the failing check and refuses requests while the database is unreachable, then recovers', async () => {
    await t.http.get('/api/v1/health').expect(200);
    await t.http.get('/api/v1/me').set(user.auth).expect(200);

    await proxy.cut();

    const health = await t.http.get('/api/v1/health');
    expectError(health, 503, 'service_unavailable');
    expect(health.body.checks.db.ok).toBe(false);
    expect(health.headers['retry-after']).toBeDefined();
    // the production logger logged the cause under the request's id
    expect(t.logs.errors(health.headers['x-request-id'])).toEqual([
      expect.objectContaining({ code: 'service_unavailable' }),
    ]);

    const me = await t.http.get('/api/v1/me').set(user.auth);
    expectError(me, 503, 'service_unavailable');
    expect(JSON.stringify(me.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/);

    await proxy.restore();

    // the pool reconnects on its own
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = (await t.http.get('/api/v1/health')).status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    await t.http.get('/api/v1/me').set(user.auth).expect(200);
  });

  it('recovers by itself when PostgreSQL terminates every connection of the app: pool, Prisma, pg-boss, the realtime listener', async () => {
    const peer = await registerUser(t);
    const stream = await SseClient.open(t, peer);
    expect(stream.status).toBe(200);

    // what a restart of PostgreSQL does to the app's sessions (pool, pg-boss, LISTEN)
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }

    // meanwhile: answered, or refused with service_unavailable; never internal_error
    let recovered = false;
    for (let i = 0; i < 100 && !recovered; i++) {
      const res = await t.http.get('/api/v1/me').set(user.auth);
      if (res.status !== 200) expectError(res, 503, 'service_unavailable');
      recovered = res.status === 200;
      if (!recovered) await new Promise((r) => setTimeout(r, 50));
    }
    expect(recovered).toBe(true);

    // the realtime listener: a message sent at once (the listener may still be reconnecting)
    // reaches the open stream, live or replayed once the listener is back
    const sent = await t.http
      .post('/api/v1/messages')
      .set(user.auth)
      .send({ recipient_id: peer.id, body: 'after the restart' })
      .expect(201);
    const event = await stream.next();
    expect(JSON.parse(event.data!)).toMatchObject({ type: 'message.created', data: { id: sent.body.id } });
    stream.close();
    // pg-boss: a job enqueued now runs (registration mails the confirmation through a job)
    await registerUser(t);
    expect(t.logs.entries().filter((e) => e.code === 'internal_error')).toEqual([]);
  });

  it('answers 503 service_unavailable, never 500, while the database refuses connections (SQLSTATE 55000 at connect), then recovers', async () => {
    const artist = await t.http
      .post('/api/v1/artists')
      .set(user.auth)
      .send({ name: 'Refused', slug: 'refused' });
    expect(artist.status).toBe(201);
    await t.http.get('/api/v1/me').set(user.auth).expect(200);
    await t.http.get('/api/v1/artists/refused').expect(200);

    const { adminUrl } = serverFromEnv();
    const pool = t.app.get(Database);
    await adminQuery(adminUrl, async (c) => {
      await c.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      // the app's open connections go too, so every statement needs a new one
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    });
    try {
      // the pool has noticed every connection's end: what follows must connect afresh
      for (let i = 0; i < 100 && pool.poolStats().total > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(pool.poolStats().total).toBe(0);

      // authenticated (the principal lookup on the pg pool) and anonymous (Prisma), twice each
      for (const send of [
        () => t.http.get('/api/v1/me').set(user.auth),
        () => t.http.get('/api/v1/artists/refused'),
        () => t.http.get('/api/v1/me').set(user.auth),
        () => t.http.get('/api/v1/artists/refused'),
      ]) {
        const res = await send();
        expectError(res, 503, 'service_unavailable');
        expect(res.headers['retry-after']).toBe('5');
        expect(res.headers['x-request-id']).toBe(res.body.request_id);
        expect(JSON.stringify(res.body)).not.toMatch(/55000|accepting connections|postgres/);
      }
    } finally {
      await adminQuery(adminUrl, (c) => c.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`));
    }

    await t.http.get('/api/v1/me').set(user.auth).expect(200);
    await t.http.get('/api/v1/artists/refused').expect(200);
    expect(t.logs.entries().filter((e) => e.code === 'internal_error')).toEqual([]);
  });
});
