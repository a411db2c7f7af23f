import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Fleet, FLEET_LIMITS, fleetEnv } from '../support/fleet';
import {
  checkInvariants,
  emptyChecks,
  formatChecks,
  formatViolations,
  violationCount,
} from '../support/invariants';
import { testRedisUrl } from '../support/redis';
import { S3Server } from '../support/s3-server';
import { SmtpSink } from '../support/smtp-sink';
import { StripeFake } from '../support/stripe-fake';
import { createTestDatabase, TestDatabase } from '../support/test-app';
import { Api, seededRandom, Workload } from '../support/workload';

/**
 * Three instances of the current source, as separate processes (`npm start`'s path), on one
 * PostgreSQL, one Redis, one Stripe-compatible server, one SMTP sink and one S3-compatible
 * server (s3rver; each instance keeps only its upload spool on its own disk), declared as a fleet
 * (INSTANCE_COUNT=3, so every shared setting is required at boot): every call
 * of a mixed workload goes to the next instance, so uploads are processed and downloaded by
 * other instances, purchases confirmed on one are fulfilled by webhooks arriving at others (late,
 * twice, out of order), and one user's concurrent requests race on different processes. At the
 * end the database must hold every invariant, and no instance may have answered a 5xx.
 */
const LIMITS = FLEET_LIMITS;

describe('three instances act as one', () => {
  let fleet: Fleet | undefined;
  let database: TestDatabase;
  let db: Client;
  const mail = new SmtpSink();
  const stripe = new StripeFake();
  const s3 = new S3Server();
  const dataDirs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const [smtpUrl, stripeUrl, redisUrl, s3Env] = await Promise.all([
      mail.start(),
      stripe.start(),
      testRedisUrl(),
      s3.start(),
    ]);
    fleet = await Fleet.start({
      size: 3,
      label: 'three-instances',
      env: {
        ...fleetEnv(stripe, stripeUrl),
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        SMTP_URL: smtpUrl,
        ...s3Env,
        INSTANCE_COUNT: '3',
        JOBS_AUTORUN: '0',
      },
      envOf: (i) => {
        const dataDir = mkdtempSync(join(tmpdir(), `beat-fleet-data-${i}-`));
        dataDirs.push(dataDir);
        return { DATA_DIR: dataDir, STORAGE_DIR: join(dataDir, 'storage') };
      },
    });
    process.stdout.write(
      `fleet: build ${fleet.build.ms} ms (${fleet.build.reused ? 'reused' : 'fresh'}), 3 instances ready in ${fleet.build.bootMs} ms\n`,
    );
    db = new Client({ connectionString: database.url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await fleet?.stop();
    await Promise.all([mail.stop(), stripe.stop(), s3.stop()]);
    await database?.drop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('spreads a mixed workload round-robin and keeps every invariant', async () => {
    const f = fleet!;
    const api = new Api(() => f.instances);
    const w = new Workload({
      api,
      mail,
      stripe,
      rng: seededRandom(20261130),
      admin: { email: 'admin@test.local', password: 'admin-password-1' },
      submissionLimit: LIMITS.submissionsPerRequest,
    });
    const failIfBroken = () => {
      const problems = [
        ...api.failures.map((e) => JSON.stringify(e)),
        ...f.crashes(),
        ...f.instances.flatMap((i) => i.errorEntries().map((e) => `${i.name}: ${JSON.stringify(e)}`)),
      ];
      if (problems.length) throw new Error(`${problems.join('\n')}\n--- last output ---\n${f.logTail(30)}`);
    };

    await w.setup();
    failIfBroken();

    // beat requests on every artist, one of each operation, then concurrent rounds of everything
    for (const a of w.artists) await w.createRequest(a);
    await w.tour();
    await Promise.all([
      w.subscriptionChange('subscribe'),
      w.submissionRush(),
      w.purchase('basic'),
      w.purchase('premium'),
      w.exclusiveRace(),
      w.followRush(),
      w.messageRush(),
      w.playlistEdits(),
      w.radioRush(),
    ]);
    await w.deliverWebhooks();
    await Promise.all([
      w.download(),
      w.exclusiveRace(),
      w.purchase('basic'),
      w.followRush(),
      w.messageRush(),
      w.playlistEdits(),
      w.radioRush(),
      w.uploadTrack(w.producers[1]).then(() => w.processAll()),
      w.payoutRush(),
      w.refundRequest(),
    ]);
    await w.deliverWebhooks();
    await w.download();

    // a day later: the requests expired and are renewed, one is deleted (refund), budgets reset
    await f.advanceClock(25 * 3600);
    await w.renewRequests();
    await Promise.all([
      w.deleteRequest(),
      w.followRush(),
      w.messageRush(),
      w.radioRush(),
      w.purchase('basic'),
    ]);
    await w.settle();
    failIfBroken();

    const results = await checkInvariants(db, LIMITS, {
      stripe,
      listObjects: () => s3.objects(),
      acknowledged: w.acknowledged,
    });
    process.stdout.write(`${formatChecks(results)}\n`);
    expect(formatViolations(results)).toBe('');
    expect(violationCount(results)).toBe(0);
    expect(emptyChecks(results)).toEqual([]);

    // the workload did reach the rules it is about
    const stats = (name: string) => w.counts.get(name) ?? { ok: 0, refused: 0 };
    const rush = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM submissions WHERE producer_id = $1 GROUP BY request_id ORDER BY 1 DESC LIMIT 1',
      [w.producers[0].id],
    );
    expect(rush.rows[0]?.n).toBe(LIMITS.submissionsPerRequest);
    expect(stats('follow').refused).toBeGreaterThan(0); // the hourly budget was met
    expect(stats('message').refused).toBeGreaterThan(0); // the per-minute budget was met
    expect(stats('radio.start').refused).toBeGreaterThan(0); // the second device was refused
    expect(stats('download').ok).toBeGreaterThan(0);
    expect(stats('request.renew').ok).toBeGreaterThan(0);
    expect(stats('request.delete').ok).toBe(2); // the tour's and the day-later one
    const exclusives = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM licenses WHERE type = 'exclusive'`,
    );
    expect(exclusives.rows[0].n).toBeGreaterThan(0);
    const applied = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM stripe_events');
    expect(applied.rows[0].n).toBeGreaterThan(0);
    failIfBroken();
  }, 240_000);
});
