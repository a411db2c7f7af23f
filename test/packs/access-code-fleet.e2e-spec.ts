import { expectError } from '../support/expect-error';
import {
  clockSettled,
  createTestDatabase,
  startTestApp,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';
import { registerUser } from '../support/users';

const API = '/api/v1';

/**
 * The access-code attempt budget holds across instances: two apps on one database share it
 * (rows of rate_events counted under an advisory lock), so 30 wrong codes fired at once at both
 * get exactly LIMIT_ACCESS_CODE_ATTEMPTS (10) access_code_invalid and too_many_requests for the rest.
 */
describe('pack link access codes across two instances', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const shared = { ...db, drop: async () => undefined };
    apps.push(await startTestApp({}, { database: shared }));
    apps.push(await startTestApp({}, { database: shared }));
  });

  afterAll(async () => {
    for (const t of apps) await t.close();
    await db?.drop();
  });

  it('30 parallel wrong codes: exactly 10 access_code_invalid, then too_many_requests (a right code too)', async () => {
    const [a, b] = apps;
    const owner = await registerUser(a);
    const pack = (await a.http.post(`${API}/packs`).set(owner.auth).send({ name: 'Guarded' }).expect(201))
      .body;
    const link = (
      await a.http
        .post(`${API}/packs/${pack.id}/links`)
        .set(owner.auth)
        .send({ label: 'guarded', access_code: 'right-code', downloads: 'none' })
        .expect(201)
    ).body as { slug: string };
    const open = (t: TestApp, code: string) =>
      t.http.get(`${API}/pack-links/${link.slug}`).set('X-Access-Code', code);

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => open(i % 2 ? b : a, `wrong-${i}`)),
    );
    const invalid = results.filter((r) => r.body.code === 'access_code_invalid');
    const limited = results.filter((r) => r.body.code === 'too_many_requests');
    expect(invalid).toHaveLength(10);
    expect(limited).toHaveLength(20);
    for (const r of invalid) expectError(r, 403, 'access_code_invalid');
    for (const r of limited) {
      expectError(r, 429, 'too_many_requests');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
    const { Client } = await import('pg');
    const pg = new Client({ connectionString: a.databaseUrl });
    await pg.connect();
    try {
      const { rows } = await pg.query(`SELECT count(*)::int AS n FROM rate_events WHERE kind = 'pack_code'`);
      expect(rows[0].n).toBe(10);
    } finally {
      await pg.end();
    }

    // while the budget is spent, the right code is refused as well (else it would not bound guessing)
    expectError(await open(b, 'right-code'), 429, 'too_many_requests');
    // 15 minutes later the window is clear
    await a.advanceClock(15 * 60 + 1);
    await clockSettled(a, b);
    const opened = await open(b, 'right-code').expect(200);
    expect(opened.body.name).toBe('Guarded');
  });
});
