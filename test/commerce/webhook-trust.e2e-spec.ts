import Stripe from 'stripe';
import { ConfigError, loadConfig } from '../../src/config/config';
import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { login, registerUser, TestUser } from '../support/users';

/** A signed event is not a fact: only what Stripe itself has is applied (issue 8). */
describe('Stripe webhooks cannot be forged', () => {
  let c: CommerceApp;
  let db: CommerceApp['db'];
  let sdk: Stripe;

  beforeAll(async () => {
    c = await startCommerceApp();
    db = c.db;
    sdk = c.sdk;
  });
  afterAll(async () => {
    await c?.close();
  });

  /** the application clock's seconds (tests that move the clock add to `clockAhead`) */
  let clockAhead = 0;
  const now = () => Math.floor(Date.now() / 1000) + clockAhead;
  /** posts any JSON body signed with `secret` (the app's own by default) */
  const post = (body: unknown, secret = c.stripe.webhookSecret, timestamp?: number) => {
    const payload = JSON.stringify(body);
    return c.t.http
      .post('/api/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', c.stripe.sign(payload, secret, timestamp ?? now()))
      .send(payload);
  };
  const event = (type: string, object: unknown, extra: object = {}) => ({
    id: `evt_forged_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type,
    created: now(),
    data: { object },
    ...extra,
  });
  const userState = async (u: TestUser) =>
    (
      await db.query(
        `SELECT u.plan_id, to_jsonb(u) ->> 'current_subscription_id' AS current_subscription_id, (SELECT count(*)::int FROM subscriptions s WHERE s.user_id = u.id) AS subscriptions
         FROM users u WHERE u.id = $1`,
        [u.id],
      )
    ).rows[0];
  const eventCount = async () => Number((await db.query('SELECT count(*) FROM stripe_events')).rows[0].count);

  /** a purchase whose PaymentIntent exists at Stripe, unpaid */
  async function unpaidPurchase() {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const p = await c.t.http
      .post('/api/v1/purchases')
      .set(buyer.auth)
      .send({ track_id: track.id, license_type: 'exclusive', expected_price_cents: 99900 })
      .expect(201);
    const pi = [...c.stripe.paymentIntents.values()].find(
      (x) => (x.metadata as { purchase_id: string }).purchase_id === p.body.id,
    )!;
    return { purchaseId: p.body.id as string, pi, buyer };
  }
  const purchaseState = async (id: string) =>
    (
      await db.query(
        `SELECT p.status, p.paid_at IS NOT NULL AS paid, (SELECT count(*)::int FROM licenses l WHERE l.purchase_id = p.id) AS licenses
         FROM purchases p WHERE p.id = $1`,
        [id],
      )
    ).rows[0];

  it('refuses a subscription event carrying another user id, signed with the old placeholder secret or with ours', async () => {
    const victim = await registerUser(c.t);
    const before = await userState(victim);
    const forged = (id: string) =>
      event('customer.subscription.created', {
        id,
        object: 'subscription',
        customer: 'cus_forged',
        status: 'active',
        metadata: { user_id: victim.id },
        items: { data: [{ price: { id: 'price_pro' }, current_period_end: now() + 86400 }] },
      });
    const events = await eventCount();
    expectError(await post(forged('sub_forged1'), 'whsec_placeholder'), 400, 'stripe_signature_invalid');
    // even correctly signed, a subscription Stripe does not have is refused
    expectError(await post(forged('sub_forged2')), 400, 'bad_request');
    expect(await userState(victim)).toEqual(before);
    expect(before.plan_id).toBe('explorer');
    expect(await eventCount()).toBe(events);
  });

  it('applies payment_intent.succeeded only when Stripe says the PaymentIntent succeeded, then lets the retry apply', async () => {
    const { purchaseId, pi } = await unpaidPurchase();
    const claim = event('payment_intent.succeeded', { ...pi, status: 'succeeded' });
    expectError(await post(claim, 'whsec_placeholder'), 400, 'stripe_signature_invalid');
    expectError(await post(claim), 400, 'bad_request');
    expect(await purchaseState(purchaseId)).toEqual({ status: 'requires_payment', paid: false, licenses: 0 });
    // nothing was recorded: once the payment really succeeds, the same event id applies
    await sdk.paymentIntents.confirm(String(pi.id), { payment_method: 'pm_card_visa' });
    expect((await post(claim)).status).toBe(200);
    expect(await purchaseState(purchaseId)).toEqual({ status: 'succeeded', paid: true, licenses: 1 });
  });

  it('refunds once a payment that succeeds after its expired checkout went with the deleted track', async () => {
    const { track, producer } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const p = await c.t.http
      .post('/api/v1/purchases')
      .set(buyer.auth)
      .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 })
      .expect(201);
    const pi = [...c.stripe.paymentIntents.values()].find(
      (x) => (x.metadata as { purchase_id: string }).purchase_id === p.body.id,
    )!;
    // the checkout's window passes and the producer deletes the track before the cancellation
    // reaches Stripe; the buyer still pays with the client_secret they hold
    await c.t.advanceClock(31 * 60);
    clockAhead += 31 * 60;
    const owner = await login(c.t, producer.email, producer.password);
    await c.t.http.delete(`/api/v1/tracks/${track.id}`).set(owner.auth).expect(204);
    expect(
      (await db.query('SELECT count(*)::int AS n FROM purchases WHERE id = $1', [p.body.id])).rows[0].n,
    ).toBe(0);
    await sdk.paymentIntents.confirm(String(pi.id), { payment_method: 'pm_card_visa' });

    const paid = event('payment_intent.succeeded', { id: pi.id });
    expect((await post(paid)).status).toBe(200);
    expect((await post({ ...paid, id: `${paid.id}_again` })).status).toBe(200);
    await c.t.drain();
    expect(c.stripe.refundsFor(String(pi.id))).toHaveLength(1);
    expect(
      (await db.query('SELECT count(*)::int AS n FROM licenses WHERE holder_id = $1', [buyer.id])).rows[0].n,
    ).toBe(0);
  });

  it('refuses a PaymentIntent whose amount differs from its purchase', async () => {
    const { purchaseId, pi } = await unpaidPurchase();
    // someone pays 50 cents on an intent of their own that names our purchase
    const cheap = await sdk.paymentIntents.create({
      amount: 50,
      currency: 'usd',
      metadata: { purchase_id: purchaseId },
    });
    await sdk.paymentIntents.confirm(cheap.id, { payment_method: 'pm_card_visa' });
    expectError(await post(event('payment_intent.succeeded', cheap)), 400, 'bad_request');
    // and the intent of the purchase with a lower amount at Stripe
    c.stripe.paymentIntents.get(String(pi.id))!.amount = 50;
    await sdk.paymentIntents.confirm(String(pi.id), { payment_method: 'pm_card_visa' });
    expectError(await post(event('payment_intent.succeeded', { id: pi.id })), 400, 'bad_request');
    expect(await purchaseState(purchaseId)).toEqual({ status: 'requires_payment', paid: false, licenses: 0 });
  });

  it('answers 400 to malformed events and unknown objects, never 500, and records none of them', async () => {
    const events = await eventCount();
    const cases: unknown[] = [
      [event('payment_intent.succeeded', { id: 'pi_x' })],
      { id: 'evt_nodata', object: 'event', type: 'payment_intent.succeeded', created: now() },
      event('payment_intent.succeeded', { id: 'pi_x' }, { created: 1e16 }),
      event('payment_intent.succeeded', { id: 'pi_x' }, { created: 'yesterday' }),
      event('payment_intent.succeeded', { id: 'pi_x' }, { created: now() + 3600 }),
      event('payment_intent.succeeded', ['pi_x']),
      event('payment_intent.succeeded', { object: 'payment_intent' }),
      { ...event('payment_intent.succeeded', { id: 'pi_x' }), id: 42 },
      event('payment_intent.succeeded', { id: 'pi_unknown_to_stripe' }),
      event('charge.refunded', { id: 'ch_unknown_to_stripe' }),
      event('charge.dispute.created', { id: 'dp_unknown_to_stripe' }),
      event('customer.subscription.updated', { id: 'sub_unknown_to_stripe', customer: null }),
      event('customer.subscription.deleted', { id: 'sub_unknown_to_stripe' }),
      event('invoice.payment_failed', { id: 'in_x', subscription: null }),
    ];
    for (const body of cases) {
      const res = await post(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'bad_request',
      });
    }
    expect(await eventCount()).toBe(events);
  });

  it('refuses subscriptions Stripe has for an unknown customer, for no customer, or that are not ours', async () => {
    const victim = await registerUser(c.t);
    const before = await userState(victim);
    // real subscriptions at Stripe, made by someone else (not through our API)
    const stranger = await sdk.customers.create({ email: 'x@y.z' });
    const theirs = await sdk.subscriptions.create({
      customer: stranger.id,
      items: [{ price: 'price_pro' }],
      default_payment_method: 'pm_card_visa',
      metadata: { user_id: victim.id },
    });
    expectError(await post(event('customer.subscription.created', theirs)), 400, 'bad_request');
    c.stripe.subscriptions.get(theirs.id)!.customer = null;
    expectError(await post(event('customer.subscription.updated', theirs)), 400, 'bad_request');
    expect(await userState(victim)).toEqual(before);
  });
});

describe('Stripe configuration fails closed', () => {
  it('refuses to start with a Stripe key and no webhook secret, in one line naming STRIPE_WEBHOOK_SECRET', () => {
    for (const key of ['sk_live_abc', 'sk_test_abc', 'rk_live_abc']) {
      let error: unknown;
      try {
        loadConfig({ STRIPE_SECRET_KEY: key });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/STRIPE_WEBHOOK_SECRET/);
      expect((error as Error).message).not.toMatch(/\n/);
    }
    // and Connect's: a payout account whose readiness never arrives would hold money forever
    let connect: unknown;
    try {
      loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' });
    } catch (err) {
      connect = err;
    }
    expect(connect).toBeInstanceOf(ConfigError);
    expect((connect as Error).message).toMatch(/^STRIPE_CONNECT_WEBHOOK_SECRET must be set/);
    expect((connect as Error).message).not.toMatch(/\n/);
    expect(() =>
      loadConfig({
        STRIPE_SECRET_KEY: 'sk_test_abc',
        STRIPE_WEBHOOK_SECRET: 'whsec_placeholder',
        STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect',
      }),
    ).toThrow(/placeholders/);
    expect(loadConfig({})).toMatchObject({ stripeSecretKey: undefined, stripeWebhookSecret: undefined });
  });

  describe('with no Stripe configured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('refuses every webhook, whatever it is signed with, and payments fail with payment_initialization_failed', async () => {
      const signer = new Stripe('sk_test_signer');
      const victim = await registerUser(t);
      // what moved a user to pro for free: the old default secret was public
      const payload = JSON.stringify({
        id: 'evt_1',
        object: 'event',
        type: 'customer.subscription.created',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: 'sub_1',
            object: 'subscription',
            customer: 'cus_1',
            status: 'active',
            metadata: { user_id: victim.id },
            items: { data: [{ price: { id: 'price_pro' } }] },
          },
        },
      });
      for (const secret of ['whsec_placeholder', 'anything']) {
        const res = await t.http
          .post('/api/v1/webhooks/stripe')
          .set('Content-Type', 'application/json')
          .set('Stripe-Signature', signer.webhooks.generateTestHeaderString({ payload, secret }))
          .send(payload);
        expectError(res, 400, 'stripe_signature_invalid');
      }
      expect((await t.http.get('/api/v1/me').set(victim.auth).expect(200)).body.plan.id).toBe('explorer');
      const buyer = await registerUser(t);
      const res = await t.http
        .post('/api/v1/billing/subscription')
        .set(buyer.auth)
        .send({ plan: 'plus', payment_method: 'pm_card_visa' });
      expectError(res, 502, 'payment_initialization_failed');
    });
  });
});
