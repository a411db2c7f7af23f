import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';

/**
 * A second instance that was not declared (INSTANCE_COUNT unset) on a database where another
 * instance's workers run says so at boot, in one warning line. (What a declared fleet refuses is in
 * src/config/config.spec.ts.)
 */
describe('undeclared second instance', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const t of apps) await t.close();
    await db?.drop();
  });

  const fleetWarnings = (t: TestApp) =>
    t.logs.entries().filter((e) => e.level === 40 && /another instance is running/.test(String(e.msg)));

  it('warns on the second instance, not on the first', async () => {
    const shared = { ...db, drop: async () => undefined };
    const first = await startTestApp({ JOBS_AUTORUN: '1' }, { database: shared });
    apps.push(first);
    expect(fleetWarnings(first)).toEqual([]);

    const second = await startTestApp({}, { database: shared });
    apps.push(second);
    expect(fleetWarnings(second)).toEqual([
      expect.objectContaining({
        msg: expect.stringMatching(
          /INSTANCE_COUNT is 1.*without REDIS_URL each instance counts its own rate limits/,
        ),
      }),
    ]);
  });
});
