import { CommerceApp, OFFERS, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { registerUser } from '../support/users';

/**
 * Ten buyers pay for one exclusive at the same moment and Stripe's webhooks arrive concurrently:
 * exactly one exclusive license, every other payment refunded exactly once, nothing pending.
 */
describe('exclusive sale under concurrency', () => {
  let c: CommerceApp;
  let db: CommerceApp['db'];

  beforeAll(async () => {
    c = await startCommerceApp();
    db = c.db;
  });
  afterAll(async () => {
    await c?.close();
  });

  it('sells the exclusive once and refunds everyone else exactly once', async () => {
    const { track } = await trackForSale(c.t, 4242, OFFERS);
    const buyers = await Promise.all(Array.from({ length: 10 }, () => registerUser(c.t)));
    // an earlier lease, and a lease checkout begun before the sale but paid after it
    const leaseHolder = await registerUser(c.t);
    const lease = await c.t.http
      .post('/api/v1/purchases')
      .set(leaseHolder.auth)
      .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 })
      .expect(201);
    await c.t.http
      .post(`/api/v1/purchases/${lease.body.id}/confirm`)
      .set(leaseHolder.auth)
      .send({ payment_method: 'pm_card_visa' })
      .expect(200);
    const lateLeaser = await registerUser(c.t);
    const late = await c.t.http
      .post('/api/v1/purchases')
      .set(lateLeaser.auth)
      .send({ track_id: track.id, license_type: 'premium', expected_price_cents: 7999 })
      .expect(201);

    const purchases = await Promise.all(
      buyers.map((b) =>
        c.t.http
          .post('/api/v1/purchases')
          .set(b.auth)
          .send({ track_id: track.id, license_type: 'exclusive', expected_price_cents: 99900 })
          .expect(201),
      ),
    );
    const confirmations = await Promise.all(
      purchases.map((p, i) =>
        c.t.http
          .post(`/api/v1/purchases/${p.body.id}/confirm`)
          .set(buyers[i].auth)
          .send({ payment_method: 'pm_card_visa' }),
      ),
    );
    expect(confirmations.every((r) => r.status === 200)).toBe(true);
    expect(confirmations.filter((r) => r.body.status === 'succeeded')).toHaveLength(1);
    expect(confirmations.filter((r) => r.body.status === 'refunding')).toHaveLength(9);

    // the late lease is paid after the sale: refunded too
    const lateConfirm = await c.t.http
      .post(`/api/v1/purchases/${late.body.id}/confirm`)
      .set(lateLeaser.auth)
      .send({ payment_method: 'pm_card_visa' })
      .expect(200);
    expect(lateConfirm.body.status).toBe('refunding');

    // Stripe's events, all of them, delivered concurrently (twice), while the refund jobs run
    const events = c.stripe.events.filter((e) => e.type === 'payment_intent.succeeded');
    const [deliveries] = await Promise.all([
      Promise.all([...events, ...events].map((e) => c.deliver(e))),
      c.t.drain(),
    ]);
    // every delivery is answered 200, and each event takes effect once
    expect(deliveries.map((d) => d.status)).toEqual([...events, ...events].map(() => 200));
    expect(deliveries.filter((d) => JSON.parse(d.body).duplicate === false)).toHaveLength(events.length);
    await c.t.drain();
    const refundEvents = c.stripe.events.filter((e) => e.type === 'charge.refunded');
    expect(refundEvents).toHaveLength(10); // nine exclusives and the late lease
    const refunded = await Promise.all([...refundEvents, ...refundEvents].map((e) => c.deliver(e)));
    expect(refunded.map((d) => d.status)).toEqual([...refundEvents, ...refundEvents].map(() => 200));
    expect(refunded.filter((d) => JSON.parse(d.body).duplicate === false)).toHaveLength(refundEvents.length);

    const exclusives = await db.query(
      `SELECT holder_id FROM licenses WHERE track_id = $1 AND type = 'exclusive' AND status = 'active'`,
      [track.id],
    );
    expect(exclusives.rowCount).toBe(1);
    const statuses = await db.query(
      `SELECT status, count(*)::int AS n FROM purchases WHERE track_id = $1 GROUP BY status ORDER BY status::text`,
      [track.id],
    );
    expect(statuses.rows).toEqual([
      { status: 'refunded', n: 10 }, // nine exclusives and the late lease
      { status: 'succeeded', n: 2 }, // the exclusive and the earlier lease
    ]);
    // every refunded payment was refunded once at Stripe, the others never
    for (const p of (
      await db.query('SELECT status, stripe_payment_intent_id FROM purchases WHERE track_id = $1', [track.id])
    ).rows) {
      expect([p.status, c.stripe.refundsFor(p.stripe_payment_intent_id).length]).toEqual([
        p.status,
        p.status === 'refunded' ? 1 : 0,
      ]);
    }
    // the earlier lease is still valid; nothing more can be bought
    expect(
      (await db.query(`SELECT status FROM licenses WHERE holder_id = $1`, [leaseHolder.id])).rows,
    ).toEqual([{ status: 'active' }]);
    expectError(
      await c.t.http
        .post('/api/v1/purchases')
        .set((await registerUser(c.t)).auth)
        .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 }),
      410,
      'exclusive_already_sold',
    );
  });
});
