import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { registerUser, TestUser } from '../support/users';

/**
 * Stripe failing in each way a network can: answering 500, hanging past the SDK's timeout
 * (STRIPE_TIMEOUT_MS per attempt, STRIPE_MAX_NETWORK_RETRIES retries), dropping the connection.
 * The purchase answers the catalogue's code, is never left half-done, and a retry with the same
 * Idempotency-Key completes it.
 */
describe('Stripe faults', () => {
  let c: CommerceApp;

  beforeAll(async () => {
    // one retry, 1 s per attempt: each fault below is injected once per attempt
    c = await startCommerceApp({ STRIPE_TIMEOUT_MS: '1000', STRIPE_MAX_NETWORK_RETRIES: '1' });
  });
  afterAll(async () => {
    await c?.close();
  });

  const ATTEMPTS = 2;
  const purchasesOf = async (buyer: TestUser) =>
    (
      await c.db.query<{ id: string; status: string }>(
        'SELECT id, status FROM purchases WHERE buyer_id = $1',
        [buyer.id],
      )
    ).rows;
  const licensesOf = async (buyer: TestUser) =>
    Number(
      (
        await c.db.query<{ n: string }>(
          'SELECT count(*) AS n FROM licenses l JOIN purchases p ON p.id = l.purchase_id WHERE p.buyer_id = $1',
          [buyer.id],
        )
      ).rows[0].n,
    );

  const start = (buyer: TestUser, trackId: string, key: string) =>
    c.t.http
      .post('/api/v1/purchases')
      .set(buyer.auth)
      .set('Idempotency-Key', key)
      .send({ track_id: trackId, license_type: 'basic', expected_price_cents: 2999 });

  const confirm = (buyer: TestUser, purchaseId: string, key: string) =>
    c.t.http
      .post(`/api/v1/purchases/${purchaseId}/confirm`)
      .set(buyer.auth)
      .set('Idempotency-Key', key)
      .send({ payment_method: 'pm_card_visa' });

  it.each([
    ['answers 500', (route: string) => c.stripe.failNext(route, 500)],
    ['hangs past the timeout', (route: string) => c.stripe.faultNext(route, 'hang')],
    ['drops the connection', (route: string) => c.stripe.faultNext(route, 'drop')],
  ])(
    'creating the payment: Stripe %s → payment_initialization_failed, nothing kept, the same key then works',
    async (_name, inject) => {
      const { track } = await trackForSale(c.t);
      const buyer = await registerUser(c.t);
      for (let i = 0; i < ATTEMPTS; i++) inject('POST /v1/payment_intents');
      expectError(await start(buyer, track.id, 'buy-1'), 502, 'payment_initialization_failed');
      expect(await purchasesOf(buyer)).toEqual([]);

      const retried = await start(buyer, track.id, 'buy-1');
      expect(retried.status).toBe(201);
      expect(await purchasesOf(buyer)).toEqual([{ id: retried.body.id, status: 'requires_payment' }]);
    },
  );

  it.each([
    ['answers 500', (route: string) => c.stripe.failNext(route, 500)],
    ['drops the connection', (route: string) => c.stripe.faultNext(route, 'drop')],
  ])(
    'confirming: Stripe %s → payment_processing_error, the purchase stays payable, the same key then pays it',
    async (_name, inject) => {
      const { track } = await trackForSale(c.t);
      const buyer = await registerUser(c.t);
      const purchase = (await start(buyer, track.id, 'buy').expect(201)).body as { id: string };
      for (let i = 0; i < ATTEMPTS; i++) inject('POST /v1/payment_intents/:id/confirm');
      expectError(await confirm(buyer, purchase.id, 'pay'), 500, 'payment_processing_error');
      expect(await purchasesOf(buyer)).toEqual([{ id: purchase.id, status: 'requires_payment' }]);
      expect(await licensesOf(buyer)).toBe(0);

      const paid = await confirm(buyer, purchase.id, 'pay');
      expect(paid.status).toBe(200);
      expect(paid.body.status).toBe('succeeded');
      expect(await licensesOf(buyer)).toBe(1);
    },
  );

  it('confirming: Stripe charges but the answer never comes → payment_processing_error; the webhook fulfils once, a retry answers the paid purchase', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const purchase = (await start(buyer, track.id, 'buy').expect(201)).body as { id: string };
    for (let i = 0; i < ATTEMPTS; i++) c.stripe.faultNext('POST /v1/payment_intents/:id/confirm', 'hang');
    expectError(await confirm(buyer, purchase.id, 'pay'), 500, 'payment_processing_error');
    // charged at Stripe, not yet known here: no license without the payment's confirmation
    expect(await licensesOf(buyer)).toBe(0);

    const { rows } = await c.db.query<{ pi: string }>(
      'SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1',
      [purchase.id],
    );
    const succeeded = c.stripe.eventsFor(rows[0].pi).filter((e) => e.type === 'payment_intent.succeeded');
    expect(succeeded).toHaveLength(1);
    for (const event of [...succeeded, ...succeeded]) expect((await c.deliver(event)).status).toBe(200);
    expect(await licensesOf(buyer)).toBe(1);

    const again = await confirm(buyer, purchase.id, 'pay');
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('succeeded');
    expect(await licensesOf(buyer)).toBe(1);
  });
});
