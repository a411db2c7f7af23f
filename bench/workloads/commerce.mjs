// Commerce: the purchase flow (create + confirm + the payment_intent.succeeded webhook) and
// webhook ingestion. The app (its own process, the real Stripe SDK) and the raw baseline
// (bench/commerce-raw.mjs, its own process: the same Stripe calls with fetch and the app's
// statements with pg, the same access tokens) talk to the same Stripe-compatible server
// (bench/stripe-fake-server.mjs, the tests' fake in a third process), in the same run.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import pg from 'pg';
import {
  appEnv,
  BENCH_SECRET,
  check,
  compare,
  databaseServer,
  freshDatabase,
  json,
  pool,
  report,
  ROOT,
  ROUNDS,
  startServer,
} from '../lib.mjs';

const FLOWS = Number(process.env.BENCH_COMMERCE_FLOWS ?? 1200);
const EVENTS = Number(process.env.BENCH_COMMERCE_EVENTS ?? 6000);
const CONCURRENCY = Number(process.env.BENCH_COMMERCE_CONCURRENCY ?? 8);
const TRACKS = 600;
const BUYERS = 20;

function signed(event, secret) {
  const payload = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const signature = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex')}`;
  return { payload, signature };
}

const event = (type, object) => ({
  id: `evt_${randomBytes(12).toString('hex')}`,
  object: 'event',
  type,
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  data: { object },
});

async function stripeFake() {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'stripe-fake-server.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

/**
 * `only: 'flow'` runs the purchase flow alone (the earnings workload's first line), reported to
 * `file`.
 */
export default async function commerce({ only, file = 'commerce.json' } = {}) {
  const stripe = await stripeFake();
  const server = await databaseServer();
  const url = await freshDatabase(server.url, 'beat_bench_commerce');
  const env = appEnv(url, join(ROOT, '.data', 'bench-commerce'), {
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_CONNECT_WEBHOOK_SECRET: stripe.connectWebhookSecret,
    STRIPE_API_BASE_URL: stripe.url,
  });
  const app = await startServer('app', `${ROOT}/dist/main.js`, env, '/api/v1/health');
  const raw = await startServer(
    'raw',
    `${ROOT}/bench/commerce-raw.mjs`,
    {
      DATABASE_URL: url,
      JWT_SECRET: BENCH_SECRET,
      STRIPE_URL: stripe.url,
      STRIPE_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    },
    '/health',
  );
  // a pool: the flows run concurrently and each reads its payment intent
  const db = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  try {
    // the catalogue goes straight in (uploads are measured elsewhere)
    await db.query(`INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at, email_verified_at)
                    VALUES ('usr_producer', 'producer@bench.local', 'x', 'Producer', now(), now(), now())`);
    await db.query(
      `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('bench', 1, 'wav', now())`,
    );
    await db.query(
      `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, audio_sha256, processing_status, created_at, updated_at)
       SELECT 'trk_' || g, 'usr_producer', 'Beat ' || g, 90, 'trap', '{}', 'upload', 'bench', 'ready', now(), now() FROM generate_series(1, ${TRACKS}) g`,
    );
    await db.query(
      `INSERT INTO license_offers (track_id, type, price_cents, currency, updated_at)
       SELECT 'trk_' || g, t::license_type, 2999, 'usd', now() FROM generate_series(1, ${TRACKS}) g, unnest(ARRAY['basic', 'premium', 'unlimited']) t`,
    );
    const buyers = [];
    for (let i = 0; i < BUYERS; i++) {
      const email = `buyer${i}@bench.local`;
      await fetch(`${app.base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-password', display_name: `Buyer ${i}` }),
      });
      await db.query('UPDATE users SET email_verified_at = created_at WHERE email = $1', [email]);
      const login = await json(
        await fetch(`${app.base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'bench-password' }),
        }),
      );
      const id = (await db.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id;
      buyers.push({
        id,
        headers: { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' },
      });
    }
    // every flow buys a distinct (buyer, track, type); the app and the baseline buy different halves
    const types = ['basic', 'premium', 'unlimited'];
    const counters = [0, 0];
    let delivered = 0; // flows whose webhook was accepted
    const nextCombo = (half) => {
      const i = counters[half]++;
      const k = Math.floor(i / BUYERS);
      return {
        buyer: buyers[i % BUYERS],
        track: `trk_${(k % (TRACKS / 2)) + 1 + half * (TRACKS / 2)}`,
        type: types[Math.floor(k / (TRACKS / 2)) % 3],
      };
    };
    const deliver = async (base, path, pi) => {
      const { payload, signature } = signed(
        event('payment_intent.succeeded', { id: pi, object: 'payment_intent' }),
        stripe.webhookSecret,
      );
      await json(
        await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          body: payload,
        }),
      );
    };
    const appFlow = async () => {
      const { buyer, track, type } = nextCombo(0);
      const p = await json(
        await fetch(`${app.base}/api/v1/purchases`, {
          method: 'POST',
          headers: buyer.headers,
          body: JSON.stringify({ track_id: track, license_type: type, expected_price_cents: 2999 }),
        }),
      );
      await json(
        await fetch(`${app.base}/api/v1/purchases/${p.id}/confirm`, {
          method: 'POST',
          headers: buyer.headers,
          body: JSON.stringify({ payment_method: 'pm_card_visa' }),
        }),
      );
      const pi = (await db.query('SELECT stripe_payment_intent_id FROM purchases WHERE id = $1', [p.id]))
        .rows[0].stripe_payment_intent_id;
      await deliver(app.base, '/api/v1/webhooks/stripe', pi);
      delivered++;
    };
    const rawFlow = async () => {
      const { buyer, track, type } = nextCombo(1);
      const p = await json(
        await fetch(`${raw.base}/purchases`, {
          method: 'POST',
          headers: buyer.headers,
          body: JSON.stringify({ track_id: track, license_type: type, expected_price_cents: 2999 }),
        }),
      );
      await json(
        await fetch(`${raw.base}/purchases/${p.id}/confirm`, {
          method: 'POST',
          headers: buyer.headers,
          body: JSON.stringify({ payment_method: 'pm_card_visa' }),
        }),
      );
      const pi = (await db.query('SELECT stripe_payment_intent_id FROM purchases WHERE id = $1', [p.id]))
        .rows[0].stripe_payment_intent_id;
      await deliver(raw.base, '/webhooks/stripe', pi);
      delivered++;
    };
    const perRound = Math.max(CONCURRENCY, Math.floor(FLOWS / (2 * ROUNDS)));
    const rows = [
      await compare(
        'purchase flow (create+confirm+webhook)',
        () => pool(perRound, CONCURRENCY, appFlow),
        () => pool(perRound, CONCURRENCY, rawFlow),
      ),
    ];

    // every fulfilled sale's legs add up with the fee to what the buyer paid, on both sides
    const { unbalanced, sales } = (
      await db.query(
        `SELECT count(*) FILTER (WHERE p.amount_cents - p.platform_fee_cents
                  <> COALESCE((SELECT sum(amount_cents) FROM earnings_legs l WHERE l.purchase_id = p.id), 0))::int AS unbalanced,
                count(*)::int AS sales
         FROM purchases p WHERE p.status = 'succeeded'`,
      )
    ).rows[0];
    check(sales > 0 && unbalanced === 0, `every sale's legs + fee = amount (${unbalanced} of ${sales} not)`);
    if (only === 'flow') {
      report(
        rows.map((r) => ({ ...r, title: `${r.title}, legs written` })),
        file,
      );
      return;
    }
    // webhook ingestion: distinct signed events about a payment Stripe has that is not a purchase
    // (each is re-read from Stripe, then recorded with no effect)
    const stripeCall = async (path, body) => {
      const res = await fetch(`${stripe.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stripe.secretKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(body).toString(),
      });
      return res.json();
    };
    const other = await stripeCall('/v1/payment_intents', { amount: '2999', currency: 'usd' });
    await stripeCall(`/v1/payment_intents/${other.id}/confirm`, { payment_method: 'pm_card_visa' });
    const ingest = (base, path) => () =>
      pool(Math.max(16, Math.floor(EVENTS / (2 * ROUNDS))), 16, async () => {
        const { payload, signature } = signed(
          event('payment_intent.succeeded', { id: other.id, object: 'payment_intent' }),
          stripe.webhookSecret,
        );
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          body: payload,
        });
        if (res.status !== 200) throw new Error(`webhook ${res.status}`);
        await res.text();
      });
    rows.push(
      await compare(
        'webhook ingestion (events/s)',
        ingest(app.base, '/api/v1/webhooks/stripe'),
        ingest(raw.base, '/webhooks/stripe'),
      ),
    );
    report(rows, file);
    console.log('  (req/s columns are flows/s and events/s; p50/p99 in ms per flow or per event)');
    const { n } = (await db.query(`SELECT count(*)::int AS n FROM purchases WHERE status = 'succeeded'`))
      .rows[0];
    console.log(`  purchases fulfilled: ${n} of ${counters[0] + counters[1]} started`);
    check(n === delivered, `every flow whose webhook was accepted is fulfilled (${n} of ${delivered})`);
    const { bad } = (
      await db.query(
        `SELECT count(*)::int AS bad FROM purchases p
         WHERE p.status = 'succeeded' AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.purchase_id = p.id)`,
      )
    ).rows[0];
    check(bad === 0, `every fulfilled purchase holds its license (${bad} without)`);
  } finally {
    await db.end();
    await app.stop();
    await raw.stop();
    stripe.stop();
    await server.stop();
  }
}
