import { Client } from 'pg';
import Stripe from 'stripe';
import { piece, wav } from './audio';
import { readyTrack } from './catalog';
import { StripeFake } from './stripe-fake';
import { startTestApp, TestApp } from './test-app';
import { registerUser, TestUser } from './users';

export interface CommerceApp {
  t: TestApp;
  /** a client on the app's database, for assertions on what was stored */
  db: Client;
  stripe: StripeFake;
  /** the real Stripe SDK pointed at the fake (what a buyer's client or Stripe itself would do) */
  sdk: Stripe;
  webhook: string;
  /** delivers an event signed at the application's clock time (tests move that clock) */
  deliver(event: Stripe.Event): Promise<{ status: number; body: string }>;
  /** the same, to the Connect endpoint, signed with the Connect secret */
  deliverConnect(event: Stripe.Event): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** The app wired to a local Stripe-compatible server (the real SDK talks to it). */
export async function startCommerceApp(
  env: Record<string, string> = {},
  shared?: Parameters<typeof startTestApp>[1],
): Promise<CommerceApp> {
  const stripe = new StripeFake();
  const url = await stripe.start();
  const t = await startTestApp(
    {
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_CONNECT_WEBHOOK_SECRET: stripe.connectWebhookSecret,
      STRIPE_API_BASE_URL: url,
      ...env,
    },
    shared,
  );
  const webhook = `${t.url}/api/v1/webhooks/stripe`;
  const db = new Client({ connectionString: t.databaseUrl });
  await db.connect();
  const base = new URL(url);
  const sdk = new Stripe(stripe.secretKey, { host: base.hostname, port: base.port, protocol: 'http' });
  return {
    t,
    db,
    stripe,
    sdk,
    webhook,
    deliver: async (event) => {
      const now = Date.parse(((await t.http.get('/api/v1/__test/clock')).body as { now: string }).now);
      return stripe.deliver(webhook, event, Math.floor(now / 1000));
    },
    deliverConnect: async (event) => {
      const now = Date.parse(((await t.http.get('/api/v1/__test/clock')).body as { now: string }).now);
      return stripe.deliver(`${webhook}/connect`, event, Math.floor(now / 1000), stripe.connectWebhookSecret);
    },
    close: async () => {
      await db.end();
      await t.close();
      await stripe.stop();
    },
  };
}

export const OFFERS = [
  { type: 'basic', price_cents: 2999, currency: 'usd' },
  { type: 'premium', price_cents: 7999, currency: 'usd' },
  { type: 'unlimited', price_cents: 19999, currency: 'usd' },
  { type: 'exclusive', price_cents: 99900, currency: 'usd' },
] as const;

/** A producer with a ready track offering every license type. */
export async function trackForSale(
  t: TestApp,
  seed = Math.floor(Math.random() * 1e6),
  offers: readonly object[] = OFFERS,
) {
  const producer = await registerUser(t);
  const track = await readyTrack(t, producer, wav(piece(seed, 3)));
  await t.http
    .put(`/api/v1/tracks/${track.id}/license-offers`)
    .set(producer.auth)
    .send({ offers })
    .expect(200);
  return { producer, track };
}

export async function buy(
  t: TestApp,
  buyer: TestUser,
  trackId: string,
  type: string,
  price: number,
  paymentMethod = 'pm_card_visa',
) {
  const purchase = await t.http
    .post('/api/v1/purchases')
    .set(buyer.auth)
    .send({ track_id: trackId, license_type: type, expected_price_cents: price })
    .expect(201);
  const confirmed = await t.http
    .post(`/api/v1/purchases/${purchase.body.id}/confirm`)
    .set(buyer.auth)
    .send({ payment_method: paymentMethod });
  return { purchase: purchase.body, confirmed };
}
