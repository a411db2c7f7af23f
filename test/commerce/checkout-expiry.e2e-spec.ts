import Stripe from 'stripe';
import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { registerUser } from '../support/users';

/** An expired checkout cannot be paid any more; a payment that slips through is refunded once. */
describe('checkout expiry', () => {
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

  async function checkout() {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const p = await c.t.http
      .post('/api/v1/purchases')
      .set(buyer.auth)
      .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 })
      .expect(201);
    const pi = [...c.stripe.paymentIntents.values()].find(
      (x) => (x.metadata as { purchase_id: string }).purchase_id === p.body.id,
    )!;
    return {
      purchaseId: p.body.id as string,
      pi: String(pi.id),
      secret: p.body.client_secret as string,
      buyer,
    };
  }
  const state = async (purchaseId: string) =>
    (
      await db.query(
        `SELECT p.status, p.paid_at IS NOT NULL AS paid, p.refunded_at IS NOT NULL AS refunded,
                (SELECT count(*)::int FROM licenses l WHERE l.purchase_id = p.id) AS licenses
         FROM purchases p WHERE p.id = $1`,
        [purchaseId],
      )
    ).rows[0];

  it('cancels the PaymentIntent of an expired checkout, so the client_secret the buyer holds cannot pay', async () => {
    const { purchaseId, pi, secret, buyer } = await checkout();
    expect(secret).toMatch(/_secret_/);
    await c.t.advanceClock(30 * 60 + 1);
    const read = await c.t.http.get(`/api/v1/purchases/${purchaseId}`).set(buyer.auth).expect(200);
    expect(read.body).toMatchObject({ status: 'expired', client_secret: null });
    await c.t.drain();
    // the job queued with the checkout and the one queued by the claim both come due on the
    // application clock and both call: each call carries the purchase's one idempotency key
    // (Stripe cancels once)
    const cancels = c.stripe.calls('POST', `/v1/payment_intents/${pi}/cancel`);
    expect(cancels.map((x) => x.idempotencyKey)).toEqual([
      `purchase:${purchaseId}:cancel`,
      `purchase:${purchaseId}:cancel`,
    ]);
    expect(c.stripe.paymentIntents.get(pi)!.status).toBe('canceled');
    await expect(sdk.paymentIntents.confirm(pi, { payment_method: 'pm_card_visa' })).rejects.toThrow(
      /status is canceled/,
    );
    expectError(
      await c.t.http
        .post(`/api/v1/purchases/${purchaseId}/confirm`)
        .set(buyer.auth)
        .send({ payment_method: 'pm_card_visa' }),
      400,
      'checkout_expired',
    );
    expect(await state(purchaseId)).toEqual({ status: 'expired', paid: false, refunded: false, licenses: 0 });
  });

  it('confirming after the window expires the checkout and cancels its PaymentIntent too', async () => {
    const { purchaseId, pi, buyer } = await checkout();
    await c.t.advanceClock(30 * 60 + 1);
    expectError(
      await c.t.http
        .post(`/api/v1/purchases/${purchaseId}/confirm`)
        .set(buyer.auth)
        .send({ payment_method: 'pm_card_visa' }),
      400,
      'checkout_expired',
    );
    await c.t.drain();
    expect(c.stripe.paymentIntents.get(pi)!.status).toBe('canceled');
    expect(c.stripe.calls('POST', `/v1/payment_intents/${pi}/confirm`)).toHaveLength(0);
  });

  it('refunds a payment that succeeded after expiry exactly once; the purchase ends refunded, no license', async () => {
    const { purchaseId, pi, buyer } = await checkout();
    // the buyer's client pays with the client_secret, right as the window closes
    await sdk.paymentIntents.confirm(pi, { payment_method: 'pm_card_visa' });
    await c.t.advanceClock(30 * 60 + 1);
    expect(
      (await c.t.http.get(`/api/v1/purchases/${purchaseId}`).set(buyer.auth).expect(200)).body.status,
    ).toBe('expired');
    await c.t.drain(); // the cancellation finds it paid: the payment is recorded, the refund queued and made
    expect(c.stripe.refundsFor(pi)).toHaveLength(1);
    expect(await state(purchaseId)).toEqual({ status: 'refunded', paid: true, refunded: true, licenses: 0 });

    // Stripe's events arrive afterwards, several times: nothing more happens
    for (const e of [...c.stripe.eventsFor(pi), ...c.stripe.eventsFor(pi)]) {
      expect((await c.deliver(e)).status).toBe(200);
    }
    await c.t.drain();
    expect(c.stripe.refundsFor(pi)).toHaveLength(1);
    expect(await state(purchaseId)).toEqual({ status: 'refunded', paid: true, refunded: true, licenses: 0 });
  });

  it('refunds once when Stripe’s payment event for an expired checkout arrives before the cancellation runs', async () => {
    const { purchaseId, pi, buyer } = await checkout();
    await sdk.paymentIntents.confirm(pi, { payment_method: 'pm_card_visa' });
    await c.t.advanceClock(30 * 60 + 1);
    await c.t.http.get(`/api/v1/purchases/${purchaseId}`).set(buyer.auth).expect(200);
    const succeeded = c.stripe.eventsFor(pi).find((e) => e.type === 'payment_intent.succeeded')!;
    await Promise.all([c.deliver(succeeded), c.deliver(succeeded), c.deliver(succeeded)]);
    await c.t.drain();
    expect(c.stripe.refundsFor(pi)).toHaveLength(1);
    expect(await state(purchaseId)).toEqual({ status: 'refunded', paid: true, refunded: true, licenses: 0 });
  });
});
