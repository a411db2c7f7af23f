// The raw baseline of the commerce benchmark, in a process of its own like the app: bare Fastify
// handlers doing the same Stripe calls (plain fetch) and the same SQL transactions (pg) as the
// app's purchase flow and webhook — no Nest, no Prisma, no guards, no validation.
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { db, tx } from './raw-db.mjs';
import Stripe from 'stripe';

const { STRIPE_URL, STRIPE_KEY, STRIPE_WEBHOOK_SECRET, PORT } = process.env;
const webhooks = Stripe.webhooks;
const app = Fastify();

async function stripe(path, body, key) {
  const res = await fetch(`${STRIPE_URL}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${STRIPE_KEY}`,
      'content-type': 'application/x-www-form-urlencoded',
      'idempotency-key': key,
    },
    body: new URLSearchParams(body).toString(),
  });
  const out = await res.json();
  if (res.status >= 400) throw new Error(`stripe ${res.status}`);
  return out;
}

async function fulfil(c, paymentIntentId) {
  const {
    rows: [p],
  } = await c.query('SELECT * FROM purchases WHERE stripe_payment_intent_id = $1 FOR UPDATE', [
    paymentIntentId,
  ]);
  if (!p || p.status !== 'requires_payment') return;
  await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`sales:${p.track_id}`]);
  await c.query(
    `INSERT INTO licenses (id, purchase_id, holder_id, track_id, type, status, certificate_number, price_cents, currency, source, issued_at)
     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, 'purchase', now())`,
    [
      `lic_${randomBytes(12).toString('hex')}`,
      p.id,
      p.buyer_id,
      p.track_id,
      p.license_type,
      `BP-${randomBytes(6).toString('hex')}`,
      p.price_cents,
      p.currency,
    ],
  );
  await c.query(
    `UPDATE purchases SET status = 'succeeded', paid_at = now(), updated_at = now() WHERE id = $1`,
    [p.id],
  );
}

app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
  req.rawBody = body;
  done(null, JSON.parse(body.toString()));
});

app.post('/purchases', async (req) => {
  const { track_id, license_type, buyer_id } = req.body;
  const {
    rows: [offer],
  } = await db.query('SELECT price_cents, currency FROM license_offers WHERE track_id = $1 AND type = $2', [
    track_id,
    license_type,
  ]);
  const id = `pur_${randomBytes(12).toString('hex')}`;
  const fee = Math.round((offer.price_cents * 1500) / 10000);
  await db.query(
    `INSERT INTO purchases (id, buyer_id, track_id, license_type, price_cents, platform_fee_cents, amount_cents, currency, status, expires_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requires_payment', now() + interval '30 minutes', now(), now())`,
    [id, buyer_id, track_id, license_type, offer.price_cents, fee, offer.price_cents + fee, offer.currency],
  );
  const pi = await stripe(
    '/v1/payment_intents',
    { amount: offer.price_cents + fee, currency: offer.currency, 'metadata[purchase_id]': id },
    `purchase:${id}:create`,
  );
  await db.query('UPDATE purchases SET stripe_payment_intent_id = $2, client_secret = $3 WHERE id = $1', [
    id,
    pi.id,
    pi.client_secret,
  ]);
  return { id, payment_intent: pi.id };
});

app.post('/purchases/:id/confirm', async (req) => {
  const {
    rows: [p],
  } = await db.query('SELECT * FROM purchases WHERE id = $1', [req.params.id]);
  const pi = await stripe(
    `/v1/payment_intents/${p.stripe_payment_intent_id}/confirm`,
    { payment_method: req.body.payment_method },
    `purchase:${p.id}:confirm:${req.body.payment_method}`,
  );
  if (pi.status === 'succeeded') await tx((c) => fulfil(c, pi.id));
  return { id: p.id, status: 'succeeded' };
});

app.post('/webhooks/stripe', async (req, reply) => {
  let event;
  try {
    event = webhooks.constructEvent(req.rawBody, req.headers['stripe-signature'], STRIPE_WEBHOOK_SECRET, 300);
  } catch {
    return reply.code(400).send({ code: 'stripe_signature_invalid' });
  }
  // like the app: the object is re-read from Stripe before the transaction
  if (event.type === 'payment_intent.succeeded') {
    const res = await fetch(`${STRIPE_URL}/v1/payment_intents/${event.data.object.id}`, {
      headers: { authorization: `Bearer ${STRIPE_KEY}` },
    });
    const pi = await res.json();
    if (res.status !== 200 || pi.status !== 'succeeded') return reply.code(400).send({ code: 'bad_request' });
  }
  await tx(async (c) => {
    const { rowCount } = await c.query(
      'INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING',
      [event.id, event.type],
    );
    if (rowCount && event.type === 'payment_intent.succeeded') await fulfil(c, event.data.object.id);
  });
  return { received: true };
});

app.get('/health', async () => ({ ok: true }));
await app.listen({ port: Number(PORT), host: '127.0.0.1' });
