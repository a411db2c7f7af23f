// The raw baseline of the commerce benchmark, in a process of its own like the app: bare Fastify
// handlers sending the app's statements for the purchase flow and the webhook (bench/raw-db.mjs
// for the rule), with pg — no Nest, no Prisma, no guards, no validation. Stripe is called with
// plain fetch (the app uses the SDK), with the app's idempotency keys and metadata; the webhook's
// signature is checked by the SDK, as in the app. The checkout's expiry job is queued through the
// app's own JobsService (pg-boss), so its statements are pg-boss's as in the app.
//
// - POST /purchases (PurchasesService.create): the guard's statements, the context, the insert,
//   Stripe's PaymentIntent, the intent attached, the expiry job;
// - POST /purchases/:id/confirm (confirm): the guard's, the purchase, Stripe's confirmation, then
//   the fulfilment in one transaction (the fact recorded under the row lock, the track's sales
//   lock, the license, the sale's earnings legs, the status);
// - POST /webhooks/stripe (StripeWebhooksService): already seen?, the PaymentIntent read again
//   from Stripe, its purchase, then the event recorded — with the payment's fulfilment in one
//   transaction when it is a purchase's, alone when it is not.
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { answerRefusal, appModule, execute, principal, Refused, sql, transaction } from './raw-db.mjs';

const { newId } = appModule('platform/ids.js');
// the split itself is the app's pure function (the same work, not a copy)
const { saleLegs } = appModule('modules/earnings/splits.js');
const { JobsService } = appModule('platform/jobs/jobs.service.js');
const { Clock } = appModule('platform/clock/clock.js');

const { STRIPE_URL, STRIPE_KEY, STRIPE_WEBHOOK_SECRET, PORT, DATABASE_URL } = process.env;
/** the app's defaults: LIMIT_PLATFORM_FEE_BPS, LIMIT_CHECKOUT_SECONDS */
const FEE_BPS = 1500;
const CHECKOUT_SECONDS = 1800;
/** LIMIT_EARNINGS_HOLD_DAYS */
const HOLD_DAYS = 7;
const webhooks = Stripe.webhooks;
const app = Fastify();
app.setErrorHandler(answerRefusal);

// the app's job client on its own pg-boss pool, named apart from the app's in the statement log
const jobsUrl = new URL(DATABASE_URL);
jobsUrl.searchParams.set('application_name', 'bench-raw-jobs');
const jobs = new JobsService(
  { databaseUrl: jobsUrl.toString(), jobsAutorun: false, jobsSuperviseSeconds: 30 },
  new Clock(),
);
jobs.register({ name: 'purchase.expire', handler: async () => undefined, retryLimit: 10, retryDelay: 30 });
await jobs.onApplicationBootstrap();

async function stripe(path, body, key) {
  const res = await fetch(`${STRIPE_URL}${path}`, {
    method: key ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${STRIPE_KEY}`,
      ...(key ? { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key } : {}),
    },
    ...(key ? { body: new URLSearchParams(body).toString() } : {}),
  });
  const out = await res.json();
  if (res.status >= 400) throw new Refused(402, `stripe_${res.status}`);
  return out;
}

/** LicensingRepository's PURCHASE_COLUMNS and WITH_LICENSE */
const PURCHASE_COLUMNS = `p.id, p.buyer_id AS "buyerId", p.track_id AS "trackId", p.license_type AS "licenseType",
  p.price_cents AS "priceCents", p.platform_fee_cents AS "platformFeeCents", p.amount_cents AS "amountCents",
  p.currency, p.status, p.stripe_payment_intent_id AS "stripePaymentIntentId", p.client_secret AS "clientSecret",
  p.last_error AS "lastError", p.paid_at AS "paidAt", p.refunded_at AS "refundedAt", p.disputed_at AS "disputedAt",
  p.expires_at AS "expiresAt", p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  p.dispute_closed_at AS "disputeClosedAt", p.dispute_outcome AS "disputeOutcome",
  p.refund_requested_at AS "refundRequestedAt", p.refund_requested_by AS "refundRequestedBy",
  p.refund_reason AS "refundReason"`;
const WITH_LICENSE = `(SELECT l.id FROM licenses l WHERE l.purchase_id = p.id) AS "licenseId"`;

function certificateNumber() {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const chars = [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
  return `BP-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

/**
 * Fulfilment.paymentSucceeded inside `tx`: the fact recorded under the purchase's row lock, then
 * settle — for the flows here a purchase with no license yet is licensed under the track's sales
 * lock, and one with its license changes nothing more. The purchase as it leaves it, or null.
 */
async function paymentSucceeded(tx, paymentIntentId) {
  const now = new Date();
  const [p] = await tx.query(
    `UPDATE purchases p SET
         paid_at = COALESCE(p.paid_at, $2),
         refunded_at = CASE WHEN $3 = 'refunded' THEN COALESCE(p.refunded_at, $2) ELSE p.refunded_at END,
         disputed_at = CASE WHEN $3 LIKE 'dispute%' THEN COALESCE(p.disputed_at, $2) ELSE p.disputed_at END,
         dispute_closed_at = CASE WHEN $3 IN ('dispute_won', 'dispute_lost') THEN COALESCE(p.dispute_closed_at, $2)
                                  ELSE p.dispute_closed_at END,
         dispute_outcome = CASE $3 WHEN 'dispute_won' THEN COALESCE(p.dispute_outcome, 'won')
                                   WHEN 'dispute_lost' THEN COALESCE(p.dispute_outcome, 'lost') ELSE p.dispute_outcome END,
         updated_at = CASE WHEN (CASE $3 WHEN 'paid' THEN p.paid_at WHEN 'refunded' THEN p.refunded_at
                                 WHEN 'disputed' THEN p.disputed_at ELSE p.dispute_closed_at END) IS NULL
                           THEN $2 ELSE p.updated_at END
       WHERE p.stripe_payment_intent_id = $1
       RETURNING ${PURCHASE_COLUMNS}, ${WITH_LICENSE}`,
    [paymentIntentId, now, 'paid'],
    'purchase_record_fact',
  );
  if (!p) return null;
  const setStatus = async (status) => {
    if (p.status === status) return;
    await tx.execute(
      'UPDATE purchases SET status = $2::purchase_status, updated_at = $3 WHERE id = $1',
      [p.id, status, new Date()],
      'purchase_set_status',
    );
    p.status = status;
  };
  let licenseId = p.licenseId;
  if (!licenseId) {
    [{ licenseId }] = await tx.query(
      `SELECT pg_advisory_xact_lock(hashtextextended($2, 0)),
              (SELECT id FROM licenses WHERE purchase_id = $1) AS "licenseId"`,
      [p.id, `sales:${p.trackId}`],
      'purchase_lock_sales',
    );
  }
  if (licenseId) {
    p.licenseId = licenseId;
    await setStatus('succeeded');
    return p;
  }
  if (p.status !== 'requires_payment')
    throw new Error(`purchase ${p.id} is ${p.status}: not a flow of this benchmark`);
  const [issued] = await tx.query(
    `INSERT INTO licenses (id, purchase_id, holder_id, track_id, type, status, certificate_number, price_cents,
                             currency, source, issued_at, revoked_at, revoked_reason)
       SELECT $1, $2, $3, $4, $5::license_type, $6::license_status, $7, $8, $9, 'purchase', $10, $11, $12
       WHERE NOT EXISTS (SELECT 1 FROM licenses WHERE track_id = $4 AND type = 'exclusive' AND status = 'active')
       ON CONFLICT DO NOTHING
       RETURNING id`,
    [
      newId('lic'),
      p.id,
      p.buyerId,
      p.trackId,
      p.licenseType,
      'active',
      certificateNumber(),
      p.priceCents,
      p.currency,
      now,
      null,
      null,
    ],
    'purchase_issue_license',
  );
  if (!issued) throw new Error(`purchase ${p.id}: license refused, a refund is not a flow of this benchmark`);
  p.licenseId = issued.id;
  // SplitSheetsRepository.freeze: the split sheet in force, frozen on the license
  await tx.execute(
    `INSERT INTO license_split_sheets (license_id, version, composition, master, frozen_at)
       SELECT $1, version, composition, master, $3 FROM split_sheets WHERE track_id = $2
       ON CONFLICT (license_id) DO NOTHING`,
    [issued.id, p.trackId, now],
    'split_sheet_freeze',
  );
  // EarningsRepository.recordSale: the sale, its credits (FOR SHARE), the legs
  const [sale] = await tx.query(
    `SELECT p.amount_cents - p.platform_fee_cents AS net, p.currency, p.track_id AS "trackId", t.owner_id AS "ownerId"
       FROM purchases p JOIN tracks t ON t.id = p.track_id WHERE p.id = $1`,
    [p.id],
    'earnings_sale',
  );
  const credits = await tx.query(
    `SELECT user_id AS "userId", round(split_percent * 100)::int AS bps, credit_status AS status
       FROM track_collaborators WHERE track_id = $1 ORDER BY (user_id = $2) DESC, created_at, user_id FOR SHARE`,
    [sale.trackId, sale.ownerId],
    'earnings_sale_credits',
  );
  const legs = saleLegs(sale.net, sale.ownerId, credits);
  await tx.execute(
    `INSERT INTO earnings_legs (id, user_id, credited_user_id, purchase_id, track_id, currency, amount_cents,
                                 share_bps, kind, status, available_at, created_at, updated_at)
       SELECT l.id, l.user_id, l.user_id, $1, $2, $3, l.cents, l.bps, 'sale', l.status::leg_status,
              $4::timestamptz + make_interval(days => $5), $4, $4
       FROM unnest($6::text[], $7::text[], $8::int[], $9::int[], $10::text[]) AS l(id, user_id, cents, bps, status)
       ON CONFLICT (purchase_id, credited_user_id) WHERE kind = 'sale' DO NOTHING`,
    [
      p.id,
      sale.trackId,
      sale.currency,
      now,
      HOLD_DAYS,
      legs.map(() => newId('leg')),
      legs.map((l) => l.userId),
      legs.map((l) => l.cents),
      legs.map((l) => l.bps),
      legs.map((l) => (l.held ? 'held' : 'open')),
    ],
    'earnings_record_sale',
  );
  await setStatus('succeeded');
  return p;
}

app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
  req.rawBody = body;
  try {
    done(null, JSON.parse(body.toString()));
  } catch (err) {
    done(err);
  }
});

app.post('/purchases', async (req, reply) => {
  const { userId } = await principal(req.headers.authorization);
  const { track_id, license_type, expected_price_cents } = req.body;
  const [c] = await sql(
    `SELECT t.id, t.owner_id AS "ownerId", t.source, t.processing_status AS "processingStatus",
              ARRAY(SELECT c.user_id FROM track_collaborators c WHERE c.track_id = t.id) AS collaborators,
              EXISTS (SELECT 1 FROM licenses l WHERE l.track_id = t.id AND l.type = 'exclusive' AND l.status = 'active')
                AS "exclusiveSold",
              o.type AS "offerType", o.price_cents AS "priceCents", o.currency,
              EXISTS (SELECT 1 FROM licenses l WHERE l.holder_id = $2 AND l.track_id = t.id
                        AND l.type = $3::license_type AND l.status = 'active') AS owned
       FROM tracks t LEFT JOIN license_offers o ON o.track_id = t.id AND o.type = $3::license_type
       WHERE t.id = $1`,
    [track_id, userId, license_type],
    'purchase_context',
  );
  if (!c || (c.source === 'upload' && c.processingStatus !== 'ready'))
    throw new Refused(404, 'track_not_found');
  if (c.ownerId === userId || c.collaborators.includes(userId))
    throw new Refused(403, 'cannot_purchase_own_track');
  if (c.exclusiveSold) throw new Refused(409, 'exclusive_already_sold');
  if (c.source !== 'upload' || !c.offerType) throw new Refused(422, 'track_not_for_sale');
  if (c.owned) throw new Refused(409, 'already_purchased');
  if (c.priceCents !== expected_price_cents) throw new Refused(409, 'price_changed');
  const now = new Date();
  const id = newId('pur');
  const fee = Math.round((c.priceCents * FEE_BPS) / 10_000);
  await execute(
    `INSERT INTO purchases (id, buyer_id, track_id, license_type, price_cents, platform_fee_cents, amount_cents,
                              currency, status, expires_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4::license_type, $5, $6, $7, $8, 'requires_payment', $9, $10, $10)`,
    [
      id,
      userId,
      track_id,
      c.offerType,
      c.priceCents,
      fee,
      c.priceCents + fee,
      c.currency,
      new Date(now.getTime() + CHECKOUT_SECONDS * 1000),
      now,
    ],
    'purchase_insert',
  );
  const pi = await stripe(
    '/v1/payment_intents',
    {
      amount: c.priceCents + fee,
      currency: c.currency,
      'metadata[purchase_id]': id,
      'metadata[track_id]': track_id,
      'metadata[license_type]': c.offerType,
    },
    `purchase:${id}:create`,
  );
  const [p] = await sql(
    `UPDATE purchases p SET stripe_payment_intent_id = $2, client_secret = $3, updated_at = $4 WHERE p.id = $1
       RETURNING ${PURCHASE_COLUMNS}, NULL AS "licenseId"`,
    [id, pi.id, pi.client_secret ?? '', now],
    'purchase_attach_intent',
  );
  await jobs
    .enqueue('purchase.expire', { purchaseId: id }, { startAfterSeconds: CHECKOUT_SECONDS })
    .catch(() => undefined);
  reply.status(201);
  return { id: p.id, status: p.status, client_secret: p.clientSecret };
});

app.post('/purchases/:id/confirm', async (req) => {
  const { userId } = await principal(req.headers.authorization);
  const paymentMethod = req.body.payment_method;
  const [p] = await sql(
    `SELECT ${PURCHASE_COLUMNS}, ${WITH_LICENSE} FROM purchases p WHERE p.id = $1`,
    [req.params.id],
    'purchase_by_id',
  );
  if (!p || !p.stripePaymentIntentId || p.buyerId !== userId) throw new Refused(404, 'purchase_not_found');
  if (p.status !== 'requires_payment' && p.status !== 'expired') return { id: p.id, status: p.status };
  if (p.status === 'expired' || p.expiresAt <= new Date())
    throw new Error('an expired checkout is not a flow of this benchmark');
  const pi = await stripe(
    `/v1/payment_intents/${p.stripePaymentIntentId}/confirm`,
    { payment_method: paymentMethod },
    `purchase:${p.id}:confirm:${paymentMethod}`,
  );
  if (pi.status !== 'succeeded')
    throw new Error(`PaymentIntent ${pi.id} is ${pi.status}: not a flow of this benchmark`);
  const settled = await transaction((tx) => paymentSucceeded(tx, p.stripePaymentIntentId));
  return { id: settled.id, status: settled.status, license_id: settled.licenseId };
});

app.post('/webhooks/stripe', async (req, reply) => {
  let event;
  try {
    event = webhooks.constructEvent(req.rawBody, req.headers['stripe-signature'], STRIPE_WEBHOOK_SECRET, 300);
  } catch {
    return reply.code(400).send({ code: 'stripe_signature_invalid' });
  }
  if ((await sql('SELECT 1 FROM stripe_events WHERE id = $1', [event.id], 'stripe_event_seen')).length > 0)
    return { received: true, duplicate: true };
  if (event.type !== 'payment_intent.succeeded')
    throw new Error(`${event.type}: not an event of this benchmark`);
  // the object is read again from Stripe before anything is recorded
  const pi = await stripe(`/v1/payment_intents/${event.data.object.id}`);
  const [purchase] = await sql(
    `SELECT ${PURCHASE_COLUMNS}, ${WITH_LICENSE} FROM purchases p WHERE p.stripe_payment_intent_id = $1`,
    [pi.id],
    'purchase_by_intent',
  );
  const RECORD = `INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`;
  const params = [event.id, event.type, new Date()];
  if (!purchase) {
    // not a purchase's payment (the app then reads metadata.purchase_id: none here)
    if (pi.metadata?.purchase_id) throw new Error('an orphaned payment is not a flow of this benchmark');
    const applied = (await execute(RECORD, params, 'stripe_event_record')) === 1;
    return { received: true, duplicate: !applied };
  }
  if (pi.amount !== purchase.amountCents || pi.currency?.toLowerCase() !== purchase.currency.toLowerCase())
    throw new Refused(400, 'bad_request');
  if (pi.status !== 'succeeded') throw new Refused(400, 'bad_request');
  const applied = await transaction(async (tx) => {
    if ((await tx.execute(RECORD, params, 'stripe_event_record')) !== 1) return false;
    await paymentSucceeded(tx, pi.id);
    return true;
  });
  return { received: true, duplicate: !applied };
});

app.get('/health', async () => ({ ok: true }));
await app.listen({ port: Number(PORT), host: '127.0.0.1' });
