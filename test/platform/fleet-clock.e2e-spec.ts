import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';

interface ClockState {
  now: string;
  offset_ms: number;
}

const clockOf = async (t: TestApp): Promise<ClockState> =>
  (await t.http.get('/api/v1/__test/clock').expect(200)).body as ClockState;

/** Polls an instance until its clock shows `offset` (delivery is a NOTIFY: asynchronous). */
async function waitForOffset(t: TestApp, offset: number): Promise<ClockState> {
  for (let i = 0; ; i++) {
    const state = await clockOf(t);
    if (state.offset_ms === offset || i >= 500) return state;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The test clock (TEST_HOOKS=1) is one clock for every instance on the database: moving it on one
 * moves it on the others, and an instance started later starts on it.
 */
describe('test clock shared by the fleet', () => {
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

  it('moves every instance, across a month boundary, and a late instance starts on it', async () => {
    const [a, b] = apps;
    const before = await clockOf(b);
    const days = 31 * 86_400;
    const moved = (await a.http.post('/api/v1/__test/clock').send({ advance_seconds: days }).expect(200))
      .body as ClockState;
    expect(moved.offset_ms).toBe(days * 1000);

    const seenByB = await waitForOffset(b, days * 1000);
    expect(seenByB.offset_ms).toBe(days * 1000);
    expect(new Date(seenByB.now).getUTCMonth()).not.toBe(new Date(before.now).getUTCMonth());

    // moves add up whichever instance makes them
    await b.http.post('/api/v1/__test/clock').send({ advance_seconds: 3600 }).expect(200);
    expect((await waitForOffset(a, (days + 3600) * 1000)).offset_ms).toBe((days + 3600) * 1000);

    const late = await startTestApp({}, { database: { ...db, drop: async () => undefined } });
    apps.push(late);
    expect((await clockOf(late)).offset_ms).toBe((days + 3600) * 1000);
  });

  it('job time follows the shared offset on every instance', async () => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ offset_ms: string }>(
        'SELECT offset_ms::text FROM pgboss.app_clock',
      );
      expect(Number(rows[0].offset_ms)).toBe((31 * 86_400 + 3600) * 1000);
    } finally {
      await client.end();
    }
  });

  it('has moved job time by the time a move answers, not just after (its own NOTIFY races it)', async () => {
    const [a] = apps;
    const { Client } = await import('pg');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      // the instance's own notification arrives while the move applies the same offset; the move
      // used to see the offset already set and answer before job time was pushed (a drain or a
      // fetch right after it then read the old time: the flaky "worker dies on every attempt")
      for (let i = 0; i < 40; i++) {
        const moved = (await a.http.post('/api/v1/__test/clock').send({ advance_seconds: 1 }).expect(200))
          .body as ClockState;
        const { rows } = await client.query<{ offset_ms: string }>(
          'SELECT offset_ms::text FROM pgboss.app_clock',
        );
        expect(Number(rows[0].offset_ms)).toBe(moved.offset_ms);
      }
    } finally {
      await client.end();
    }
  });
});
