import { buy, CommerceApp, OFFERS, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { startTestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

describe('purchases with Stripe', () => {
  let c: CommerceApp;
  let db: CommerceApp['db'];

  beforeAll(async () => {
    c = await startCommerceApp();
    db = c.db;
  });
  afterAll(async () => {
    await c?.close();
  });

  const create = (buyer: TestUser, body: object) =>
    c.t.http.post('/api/v1/purchases').set(buyer.auth).send(body);

  it('lets the owner set offers with If-Match and shows the price with the 15 % fee', async () => {
    const { producer, track } = await trackForSale(c.t);
    const offers = await c.t.http.get(`/api/v1/tracks/${track.id}/license-offers`).expect(200);
    expect(offers.body.offers.find((o: { type: string }) => o.type === 'basic')).toEqual({
      type: 'basic',
      price_cents: 2999,
      currency: 'usd',
      total_cents: 2999 + 450,
    });
    const etag = offers.headers.etag;
    const stranger = await registerUser(c.t);
    expectError(
      await c.t.http.put(`/api/v1/tracks/${track.id}/license-offers`).set(stranger.auth).send({ offers: [] }),
      403,
      'forbidden',
    );
    await c.t.http
      .put(`/api/v1/tracks/${track.id}/license-offers`)
      .set(producer.auth)
      .set('If-Match', etag)
      .send({ offers: OFFERS.slice(0, 2) })
      .expect(200);
    expectError(
      await c.t.http
        .put(`/api/v1/tracks/${track.id}/license-offers`)
        .set(producer.auth)
        .set('If-Match', etag)
        .send({ offers: OFFERS }),
      409,
      'stale_version',
    );
    expectError(
      await c.t.http
        .put(`/api/v1/tracks/${track.id}/license-offers`)
        .set(producer.auth)
        .send({ offers: [{ type: 'basic', price_cents: 50, currency: 'usd' }] }),
      422,
      'validation_failed',
    );
  });

  it('creates a PaymentIntent for price + fee, snapshotting the price', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const res = await create(buyer, {
      track_id: track.id,
      license_type: 'premium',
      expected_price_cents: 7999,
    })
      .set('Idempotency-Key', 'buy-1')
      .expect(201);
    expect(res.body).toMatchObject({
      status: 'requires_payment',
      price_cents: 7999,
      platform_fee_cents: 1200,
      amount_cents: 9199,
      currency: 'usd',
      client_secret: expect.stringMatching(/_secret_/),
    });
    const pi = [...c.stripe.paymentIntents.values()].find(
      (p) => (p.metadata as { purchase_id: string }).purchase_id === res.body.id,
    )!;
    expect(pi.amount).toBe(9199);
    // the same request again replays, without a second PaymentIntent
    const again = await create(buyer, {
      track_id: track.id,
      license_type: 'premium',
      expected_price_cents: 7999,
    })
      .set('Idempotency-Key', 'buy-1')
      .expect(201);
    expect(again.body.id).toBe(res.body.id);
    expect(
      [...c.stripe.paymentIntents.values()].filter(
        (p) => (p.metadata as { purchase_id: string }).purchase_id === res.body.id,
      ),
    ).toHaveLength(1);
    // Stripe calls carry Stripe idempotency keys, so the SDK's retries never charge twice
    expect(
      c.stripe.requests.filter((r) => r.path === '/v1/payment_intents').every((r) => r.idempotencyKey),
    ).toBe(true);
  });

  it('checks in the documented order', async () => {
    const { producer, track } = await trackForSale(c.t, 1, [OFFERS[0], OFFERS[3]]);
    const buyer = await registerUser(c.t);
    expectError(
      await create(buyer, {
        track_id: 'trk_01m7zzzzzzzzzzzzzzzzzzzzzz',
        license_type: 'basic',
        expected_price_cents: 1,
      }),
      404,
      'track_not_found',
    );
    // the owner: own track comes before everything else
    expectError(
      await create(producer, { track_id: track.id, license_type: 'premium', expected_price_cents: 1 }),
      422,
      'cannot_purchase_own_track',
    );
    expectError(
      await create(buyer, { track_id: track.id, license_type: 'premium', expected_price_cents: 7999 }),
      400,
      'track_not_for_sale',
    );
    const stale = await create(buyer, {
      track_id: track.id,
      license_type: 'basic',
      expected_price_cents: 1999,
    });
    expectError(stale, 409, 'price_changed');
    expect(stale.body.current_price_cents).toBe(2999);
    const bought = await buy(c.t, buyer, track.id, 'basic', 2999);
    expect(bought.confirmed.status).toBe(200);
    expectError(
      await create(buyer, { track_id: track.id, license_type: 'basic', expected_price_cents: 1 }),
      409,
      'already_purchased',
    );
    // once the exclusive is sold, everything is exclusive_already_sold (before price or offer checks)
    const exclusiveBuyer = await registerUser(c.t);
    expect((await buy(c.t, exclusiveBuyer, track.id, 'exclusive', 99900)).confirmed.body.status).toBe(
      'succeeded',
    );
    expectError(
      await create(buyer, { track_id: track.id, license_type: 'premium', expected_price_cents: 1 }),
      410,
      'exclusive_already_sold',
    );
    expectError(
      await create(producer, { track_id: track.id, license_type: 'basic', expected_price_cents: 1 }),
      422,
      'cannot_purchase_own_track',
    );
    // the earlier lease stays valid
    const licenses = await c.t.http.get('/api/v1/licenses').set(buyer.auth).expect(200);
    expect(licenses.body.data[0]).toMatchObject({ type: 'basic', status: 'active' });
  });

  it('issues the license when the payment is confirmed, and answers a second confirmation without charging', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const { purchase, confirmed } = await buy(c.t, buyer, track.id, 'unlimited', 19999);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      status: 'succeeded',
      license_id: expect.stringMatching(/^lic_/),
      client_secret: null,
    });
    const confirmsBefore = c.stripe.requests.filter((r) => r.path.endsWith('/confirm')).length;
    const again = await c.t.http
      .post(`/api/v1/purchases/${purchase.id}/confirm`)
      .set(buyer.auth)
      .send({ payment_method: 'pm_card_visa' })
      .expect(200);
    expect(again.body.license_id).toBe(confirmed.body.license_id);
    expect(c.stripe.requests.filter((r) => r.path.endsWith('/confirm')).length).toBe(confirmsBefore);
    const list = await c.t.http.get('/api/v1/purchases').set(buyer.auth).expect(200);
    expect(list.body.data.map((p: { id: string }) => p.id)).toContain(purchase.id);
    expectError(
      await c.t.http.get(`/api/v1/purchases/${purchase.id}`).set((await registerUser(c.t)).auth),
      404,
      'purchase_not_found',
    );
  });

  it("maps Stripe's test cards to the catalogue's payment errors, and a later good card still pays", async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const start = await create(buyer, {
      track_id: track.id,
      license_type: 'basic',
      expected_price_cents: 2999,
    }).expect(201);
    const confirm = (pm: string) =>
      c.t.http
        .post(`/api/v1/purchases/${start.body.id}/confirm`)
        .set(buyer.auth)
        .send({ payment_method: pm });
    for (const [pm, status, code] of [
      ['pm_card_chargeDeclined', 402, 'card_declined'],
      ['pm_card_chargeDeclinedInsufficientFunds', 402, 'insufficient_funds'],
      ['pm_card_chargeDeclinedExpiredCard', 422, 'expired_card'],
      ['pm_card_chargeDeclinedIncorrectCvc', 402, 'payment_failed'],
      ['pm_card_doesNotExist', 422, 'invalid_card'],
      ['pm_card_chargeDeclinedProcessingError', 500, 'payment_processing_error'],
      ['pm_card_chargeDeclinedIncorrectZip', 402, 'payment_failed'],
    ] as const) {
      expectError(await confirm(pm), status, code);
    }
    const failed = await c.t.http.get(`/api/v1/purchases/${start.body.id}`).set(buyer.auth).expect(200);
    expect(failed.body).toMatchObject({ status: 'requires_payment', last_error: 'payment_failed' });
    expect((await confirm('pm_card_visa')).body.status).toBe('succeeded');
  });

  it('answers payment_processing_error when Stripe is unreachable while confirming', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const start = await create(buyer, {
      track_id: track.id,
      license_type: 'basic',
      expected_price_cents: 2999,
    }).expect(201);
    for (let i = 0; i < 3; i++) c.stripe.failNext('POST /v1/payment_intents/:id/confirm', 500);
    expectError(
      await c.t.http
        .post(`/api/v1/purchases/${start.body.id}/confirm`)
        .set(buyer.auth)
        .send({ payment_method: 'pm_card_visa' }),
      500,
      'payment_processing_error',
    );
  });

  it('answers checkout_expired 30 minutes after the purchase started', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const start = await create(buyer, {
      track_id: track.id,
      license_type: 'basic',
      expected_price_cents: 2999,
    }).expect(201);
    await c.t.advanceClock(30 * 60 + 1);
    expectError(
      await c.t.http
        .post(`/api/v1/purchases/${start.body.id}/confirm`)
        .set(buyer.auth)
        .send({ payment_method: 'pm_card_visa' }),
      400,
      'checkout_expired',
    );
    expect((await c.t.http.get(`/api/v1/purchases/${start.body.id}`).set(buyer.auth)).body.status).toBe(
      'expired',
    );
  });

  it('answers payment_initialization_failed when Stripe fails to create the payment, keeping nothing', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    for (let i = 0; i < 3; i++) c.stripe.failNext('POST /v1/payment_intents', 500);
    expectError(
      await create(buyer, { track_id: track.id, license_type: 'basic', expected_price_cents: 2999 }),
      502,
      'payment_initialization_failed',
    );
    expect(
      Number(
        (await db.query('SELECT count(*) FROM purchases WHERE buyer_id = $1', [buyer.id])).rows[0].count,
      ),
    ).toBe(0);
  });

  it('refuses to delete a track that has licenses', async () => {
    const { producer, track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    await buy(c.t, buyer, track.id, 'basic', 2999);
    expectError(
      await c.t.http.delete(`/api/v1/tracks/${track.id}`).set(producer.auth),
      409,
      'track_has_licenses',
    );
  });
});

describe('purchases without Stripe configured', () => {
  it('fails at once with payment_initialization_failed (placeholder key)', async () => {
    const t = await startTestApp();
    try {
      const { track } = await trackForSale(t);
      const buyer = await registerUser(t);
      const res = await t.http
        .post('/api/v1/purchases')
        .set(buyer.auth)
        .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 });
      expectError(res, 502, 'payment_initialization_failed');
    } finally {
      await t.close();
    }
  });
});
