// Earnings: the purchase flow with fulfilment writing the sale's legs (commerce's first line, run
// here again), and the daily transfer job over BENCH_EARNINGS_LEGS (100,000) available legs of
// BENCH_EARNINGS_PRODUCERS (10,000) producers, each with a ready connected account at the
// Stripe-compatible server (its own process, as in commerce).
//
// - the app: the job as it runs in production (TransfersService.daily: producers in pages, a
//   claim transaction per producer and currency, Stripe's transfer with the claim's idempotency
//   key, the outcome recorded), triggered through the test hooks (clock to the next run, drain).
// - the raw baseline, in this process on its own half of the data: the same statements in the
//   same transactions with pg (the due producers' page, the advisory lock, the account, the legs
//   FOR UPDATE, the transfer inserted, the legs moved, the finishing job queued; then sent, the
//   legs paid) and the same
//   Stripe call with fetch, 8 producers at a time as the app's job.
// The summary's req/s columns are transfers per second; p50/p99 are the whole job's seconds.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { appModule } from '../raw-db.mjs';
import {
  appEnv,
  check,
  databaseServer,
  freshDatabase,
  QUICK,
  report,
  ROOT,
  row,
  startServer,
} from '../lib.mjs';
import commerce from './commerce.mjs';

const PRODUCERS = Number(process.env.BENCH_EARNINGS_PRODUCERS ?? (QUICK ? 500 : 10_000));
const LEGS = Number(process.env.BENCH_EARNINGS_LEGS ?? PRODUCERS * 10);
const CONCURRENCY = 8;
const PAGE = 500;
const MINIMUM = 1000;

async function stripeFake() {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'stripe-fake-server.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

export default async function earnings() {
  // the purchase flow, legs written in the license's transaction, beside the raw doing the same SQL
  await commerce({ only: 'flow', file: 'earnings-flow.json' });

  const stripe = await stripeFake();
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_earnings');
  const db = new pg.Pool({ connectionString: url, max: CONCURRENCY + 2 });
  const stripeCall = async (path, body, key) => {
    const res = await fetch(`${stripe.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stripe.secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: new URLSearchParams(body).toString(),
    });
    const out = await res.json();
    if (res.status >= 400) throw new Error(`stripe ${path}: ${res.status} ${JSON.stringify(out)}`);
    return out;
  };
  let app;
  try {
    // two equal halves: producers usr_a… (the app's job) and usr_r… (the raw baseline)
    const t0 = performance.now();
    const accounts = { a: [], r: [] };
    for (const side of ['a', 'r']) {
      const ids = [];
      for (let i = 0; i < PRODUCERS; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(50, PRODUCERS - i) }, async () => {
            const acct = await stripeCall('/v1/accounts', { type: 'express', country: 'US' });
            await stripeCall(`/v1/test_helpers/accounts/${acct.id}/ready`, {});
            return acct.id;
          }),
        );
        ids.push(...batch);
      }
      accounts[side] = ids;
      const perProducer = Math.max(1, Math.round(LEGS / PRODUCERS));
      await db.query(
        `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at, email_verified_at)
         SELECT 'usr_${side}' || lpad(g::text, 24, '0'), '${side}' || g || '@bench.local', 'x', 'P', now(), now(), now()
         FROM generate_series(1, $1) g`,
        [PRODUCERS],
      );
      await db.query(
        `INSERT INTO payout_accounts (user_id, stripe_account_id, country, charges_enabled, payouts_enabled,
                                      transfers_active, requirements_due, created_at, updated_at)
         SELECT 'usr_${side}' || lpad(a.n::text, 24, '0'), a.id, 'US', true, true, true, '{}', now(), now()
         FROM unnest($1::text[]) WITH ORDINALITY AS a(id, n)`,
        [ids],
      );
      await db.query(
        `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, external_url, created_at, updated_at)
         SELECT 'trk_${side}' || lpad(g::text, 24, '0'), 'usr_${side}' || lpad(g::text, 24, '0'), 'Beat', 90, 'trap', '{}',
                'external', 'https://example.com/beat', now(), now()
         FROM generate_series(1, $1) g`,
        [PRODUCERS],
      );
      if (side === 'a')
        await db.query(`INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
                        VALUES ('usr_buyer', 'buyer@bench.local', 'x', 'Buyer', now(), now())`);
      await db.query(
        `INSERT INTO purchases (id, buyer_id, track_id, license_type, price_cents, platform_fee_cents, amount_cents,
                                currency, status, paid_at, expires_at, created_at, updated_at)
         SELECT 'pur_${side}' || lpad(p::text, 12, '0') || lpad(k::text, 12, '0'), 'usr_buyer',
                'trk_${side}' || lpad(p::text, 24, '0'), 'basic', 2999, 450, 3449, 'usd', 'succeeded',
                now() - interval '8 days', now(), now() - interval '8 days', now()
         FROM generate_series(1, $1) p, generate_series(1, $2) k`,
        [PRODUCERS, perProducer],
      );
      await db.query(
        `INSERT INTO earnings_legs (id, user_id, credited_user_id, purchase_id, track_id, currency, amount_cents,
                                   share_bps, kind, status, available_at, created_at, updated_at)
         SELECT 'leg_' || p.id, t.owner_id, t.owner_id, p.id, p.track_id, 'usd', 2999, 10000, 'sale', 'open',
                now() - interval '1 day', p.created_at, now()
         FROM purchases p JOIN tracks t ON t.id = p.track_id WHERE p.id LIKE 'pur_${side}%'`,
      );
    }
    await db.query('ANALYZE');
    console.log(
      `  data: ${PRODUCERS} producers × ${Math.round(LEGS / PRODUCERS)} legs per side, ${2 * PRODUCERS} ready accounts at the fake, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // ---- raw: the job's statements with pg, the transfers with fetch -----------------------------
    // the claim queues the job that finishes a transfer should the process stop, through the app's
    // own JobsService (pg-boss's statements, as in the app), on a pg-boss pool of its own
    const { JobsService } = appModule('platform/jobs/jobs.service.js');
    const { Clock } = appModule('platform/clock/clock.js');
    const jobsUrl = new URL(url);
    jobsUrl.searchParams.set('application_name', 'bench-raw-jobs');
    const jobs = new JobsService(
      { databaseUrl: jobsUrl.toString(), jobsAutorun: false, jobsSuperviseSeconds: 30 },
      new Clock(),
    );
    jobs.register({
      name: 'earnings.send-transfer',
      handler: async () => undefined,
      retryLimit: 20,
      retryDelay: 10,
    });
    await jobs.onApplicationBootstrap();
    const txOf = (c) => ({
      inTransaction: true,
      query: async (text, values) => (await c.query(text, values)).rows,
    });
    const rawRun = async () => {
      const began = performance.now();
      let sent = 0;
      let after = 'usr_r';
      for (;;) {
        const { rows: producers } = await db.query(
          `SELECT a.user_id AS "userId" FROM payout_accounts a
           WHERE a.user_id > $2 AND a.stripe_account_id IS NOT NULL AND a.transfers_active AND a.payouts_enabled
             AND a.disabled_reason IS NULL AND (a.retry_after IS NULL OR a.retry_after <= $1)
             AND EXISTS (SELECT 1 FROM earnings_legs l WHERE l.user_id = a.user_id AND l.status = 'open'
                          AND l.available_at <= $1 AND l.frozen_at IS NULL AND l.voided_at IS NULL)
           ORDER BY a.user_id LIMIT $3`,
          [new Date(), after, PAGE],
        );
        const mine = producers.filter((p) => p.userId.startsWith('usr_r'));
        if (!mine.length) break;
        after = producers[producers.length - 1].userId;
        const queue = mine.map((p) => p.userId);
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            for (let userId = queue.shift(); userId; userId = queue.shift()) {
              const now = new Date();
              const { rows: currencies } = await db.query(
                `SELECT DISTINCT currency FROM earnings_legs
                 WHERE user_id = $1 AND status = 'open' AND available_at <= $2 AND frozen_at IS NULL AND voided_at IS NULL`,
                [userId, now],
              );
              for (const { currency } of currencies) {
                const c = await db.connect();
                let claimed;
                try {
                  await c.query('BEGIN');
                  await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
                    `transfer:${userId}`,
                  ]);
                  const {
                    rows: [account],
                  } = await c.query(
                    `SELECT stripe_account_id AS "stripeAccountId" FROM payout_accounts WHERE user_id = $1 FOR SHARE`,
                    [userId],
                  );
                  const { rows: legs } = await c.query({
                    name: 'earnings_transferable_legs',
                    text: `SELECT id, amount_cents AS "amountCents", purchase_id AS "purchaseId" FROM earnings_legs
                           WHERE user_id = $1 AND currency = $2 AND status = 'open' AND available_at <= $3 AND frozen_at IS NULL AND voided_at IS NULL
                           ORDER BY id FOR UPDATE`,
                    values: [userId, currency, now],
                  });
                  const total = legs.reduce((s, l) => s + l.amountCents, 0);
                  if (total >= MINIMUM) {
                    const id = `tr_${randomBytes(13).toString('hex')}`;
                    await c.query(
                      `INSERT INTO transfers (id, user_id, stripe_account_id, currency, amount_cents, status, created_at, updated_at)
                       VALUES ($1, $2, $3, $4, $5, 'claimed', $6, $6)`,
                      [id, userId, account.stripeAccountId, currency, total, now],
                    );
                    await c.query(
                      `UPDATE earnings_legs SET status = 'in_transit', transfer_id = $1, updated_at = $3 WHERE id = ANY($2::text[])`,
                      [id, legs.map((l) => l.id), now],
                    );
                    await jobs.enqueue(
                      'earnings.send-transfer',
                      { transferId: id },
                      { tx: txOf(c), singletonKey: id, startAfterSeconds: 120 },
                    );
                    claimed = { id, total, account: account.stripeAccountId };
                  }
                  await c.query('COMMIT');
                } catch (err) {
                  await c.query('ROLLBACK');
                  throw err;
                } finally {
                  c.release();
                }
                if (!claimed) continue;
                const made = await stripeCall(
                  '/v1/transfers',
                  {
                    amount: String(claimed.total),
                    currency,
                    destination: claimed.account,
                    transfer_group: `earnings-transfer:${claimed.id}`,
                    'metadata[transfer_id]': claimed.id,
                    'metadata[user_id]': userId,
                  },
                  `transfer:${claimed.id}`,
                );
                const s = await db.connect();
                try {
                  await s.query('BEGIN');
                  await s.query(
                    `UPDATE transfers SET status = 'sent', stripe_transfer_id = $2, attempts = attempts + 1, updated_at = $3
                     WHERE id = $1 AND status = 'claimed' RETURNING user_id`,
                    [claimed.id, made.id, new Date()],
                  );
                  await s.query(
                    `UPDATE earnings_legs SET status = 'paid', updated_at = $2 WHERE transfer_id = $1
         RETURNING voided_at IS NOT NULL AS voided`,
                    [claimed.id, new Date()],
                  );
                  await s.query(
                    `UPDATE payout_accounts SET failures = 0, retry_after = NULL WHERE user_id = $1`,
                    [userId],
                  );
                  await s.query('COMMIT');
                } finally {
                  s.release();
                }
                sent++;
              }
            }
          }),
        );
      }
      return { seconds: (performance.now() - began) / 1000, sent };
    };
    const raw = await rawRun();
    await jobs.stop();

    // ---- the app: its daily job, run through the test hooks ---------------------------------------
    app = await startServer(
      'app',
      `${ROOT}/dist/main.js`,
      appEnv(url, join(ROOT, '.data', 'bench-earnings'), {
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_CONNECT_WEBHOOK_SECRET: stripe.connectWebhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
        TEST_HOOKS: '1',
      }),
      '/api/v1/health',
    );
    // the boot queued the next daily run: move the clock past it, then run the queue
    await fetch(`${app.base}/api/v1/__test/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 86_400 }),
    });
    const began = performance.now();
    const drained = await fetch(`${app.base}/api/v1/__test/jobs/drain`, { method: 'POST' });
    if (drained.status !== 200) throw new Error(`drain: ${drained.status} ${await drained.text()}`);
    const appSeconds = (performance.now() - began) / 1000;
    const { rows: counts } = await db.query(
      `SELECT left(user_id, 5) AS side, count(*)::int AS n, sum(amount_cents)::bigint AS cents FROM transfers
       WHERE status = 'sent' GROUP BY 1 ORDER BY 1`,
    );
    const appSent = counts.find((c) => c.side === 'usr_a')?.n ?? 0;
    const side = (sent, seconds) => ({
      rps: +(sent / seconds).toFixed(1),
      p50: +seconds.toFixed(2),
      p99: +seconds.toFixed(2),
      failed: 0,
      total: sent,
    });
    report(
      [
        row(
          `daily transfer job: ${PRODUCERS} producers, ${LEGS} legs (transfers/s)`,
          side(appSent, appSeconds),
          side(raw.sent, raw.seconds),
        ),
      ],
      'earnings.json',
    );
    console.log(
      `  app: ${appSent} transfers in ${appSeconds.toFixed(1)} s; raw: ${raw.sent} in ${raw.seconds.toFixed(1)} s (req/s = transfers/s, p50/p99 = the job's seconds)`,
    );
    check(
      appSent === PRODUCERS && raw.sent === PRODUCERS,
      `one transfer per producer on each side (${appSent}, ${raw.sent} of ${PRODUCERS})`,
    );
    const { rows: open } = await db.query(
      `SELECT count(*)::int AS n FROM earnings_legs WHERE status <> 'paid'`,
    );
    check(open[0].n === 0, `every leg paid (${open[0].n} not)`);
    const { rows: mismatched } = await db.query(
      `SELECT count(*)::int AS n FROM transfers t
       WHERE t.amount_cents <> (SELECT sum(amount_cents) FROM earnings_legs l WHERE l.transfer_id = t.id)`,
    );
    check(mismatched[0].n === 0, `each transfer is the sum of its legs (${mismatched[0].n} not)`);
  } finally {
    await db.end();
    await app?.stop();
    stripe.stop();
    await server.stop();
  }
}
