import { Client } from 'pg';
import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { registerUser } from '../support/users';

/**
 * Fulfilment runs in a pg transaction that records the payment under the purchase's row lock
 * and reads its license again under the track's sales lock: a confirmation and many distinct
 * events for one payment, and one buyer's two checkouts paid at once, all arriving together,
 * end with exactly the licenses the rules allow and nothing refunded twice.
 */
describe('fulfilment under concurrency', () => {
  let c: CommerceApp;
  let db: CommerceApp['db'];

  beforeAll(async () => {
    c = await startCommerceApp();
    db = c.db;
  });
  afterAll(async () => {
    await c?.close();
  });

  const checkout = async (auth: Record<string, string>, trackId: string) =>
    (
      await c.t.http
        .post('/api/v1/purchases')
        .set(auth)
        .send({ track_id: trackId, license_type: 'basic', expected_price_cents: 2999 })
        .expect(201)
    ).body as { id: string };
  const intentOf = async (purchaseId: string) =>
    String(
      (await db.query('SELECT stripe_payment_intent_id FROM purchases WHERE id = $1', [purchaseId])).rows[0]
        .stripe_payment_intent_id,
    );

  it('issues one license for a payment that twelve distinct events announce at once', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const purchase = await checkout(buyer.auth, track.id);
    const pi = await intentOf(purchase.id);
    // Stripe has the payment succeeded (the buyer's client confirmed it) and tells us many times
    await c.sdk.paymentIntents.confirm(pi, { payment_method: 'pm_card_visa' });
    const object = c.stripe.paymentIntents.get(pi)!;
    const events = Array.from({ length: 12 }, () => c.stripe.emit('payment_intent.succeeded', object));
    // the purchase's row is held while the events arrive, so they all queue on its lock and each
    // one's statement starts before the license exists (the first to get the lock issues it)
    const holder = new Client({ connectionString: c.t.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM purchases WHERE id = $1 FOR UPDATE', [purchase.id]);
    const pending = Promise.all(events.map((e) => c.deliver(e)));
    for (;;) {
      const waiting = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE purchases p SET%' AND datname = current_database()`,
      );
      if (waiting.rows[0].n === events.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await holder.query('COMMIT');
    await holder.end();
    const deliveries = await pending;
    expect(deliveries.map((d) => d.status)).toEqual(events.map(() => 200));
    // confirming afterwards answers the state and charges nothing
    const confirmed = await c.t.http
      .post(`/api/v1/purchases/${purchase.id}/confirm`)
      .set(buyer.auth)
      .send({ payment_method: 'pm_card_visa' })
      .expect(200);
    expect(confirmed.body).toMatchObject({ status: 'succeeded', license_id: expect.stringMatching(/^lic_/) });
    await c.t.drain();

    const licenses = await db.query('SELECT status FROM licenses WHERE purchase_id = $1', [purchase.id]);
    expect(licenses.rows).toEqual([{ status: 'active' }]);
    const stored = await db.query('SELECT status, paid_at IS NOT NULL AS paid FROM purchases WHERE id = $1', [
      purchase.id,
    ]);
    expect(stored.rows).toEqual([{ status: 'succeeded', paid: true }]);
    expect(c.stripe.refundsFor(pi)).toHaveLength(0);
    expect(
      Number(
        (await db.query('SELECT count(*) FROM stripe_events WHERE id = ANY($1)', [events.map((e) => e.id)]))
          .rows[0].count,
      ),
    ).toBe(events.length);
  });

  it("one buyer's two checkouts of the same lease, paid at once: one license, the other payment refunded once", async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const first = await checkout(buyer.auth, track.id);
    const second = await checkout(buyer.auth, track.id);
    const confirmations = await Promise.all(
      [first, second].map((p) =>
        c.t.http
          .post(`/api/v1/purchases/${p.id}/confirm`)
          .set(buyer.auth)
          .send({ payment_method: 'pm_card_visa' }),
      ),
    );
    expect(confirmations.map((r) => r.status)).toEqual([200, 200]);
    expect(confirmations.map((r) => r.body.status as string).sort()).toEqual(['refunding', 'succeeded']);
    // every event, delivered twice, concurrently with the refund job
    const events = [
      ...c.stripe.eventsFor(await intentOf(first.id)),
      ...c.stripe.eventsFor(await intentOf(second.id)),
    ].filter((e) => e.type === 'payment_intent.succeeded');
    const [deliveries] = await Promise.all([
      Promise.all([...events, ...events].map((e) => c.deliver(e))),
      c.t.drain(),
    ]);
    // every delivery is answered 200, and each event takes effect once
    expect(deliveries.map((d) => d.status)).toEqual([...events, ...events].map(() => 200));
    expect(deliveries.filter((d) => JSON.parse(d.body).duplicate === false)).toHaveLength(events.length);
    await c.t.drain();
    const refunds = (
      await Promise.all([first, second].map(async (p) => c.stripe.eventsFor(await intentOf(p.id))))
    )
      .flat()
      .filter((e) => e.type === 'charge.refunded');
    expect(refunds).toHaveLength(1);
    expect((await c.deliver(refunds[0])).status).toBe(200);

    const active = await db.query(
      `SELECT count(*)::int AS n FROM licenses WHERE holder_id = $1 AND track_id = $2 AND status = 'active'`,
      [buyer.id, track.id],
    );
    expect(active.rows[0].n).toBe(1);
    const statuses = await db.query(
      'SELECT status::text, stripe_payment_intent_id AS pi FROM purchases WHERE id = ANY($1) ORDER BY status::text',
      [[first.id, second.id]],
    );
    expect(statuses.rows.map((r) => r.status)).toEqual(['refunded', 'succeeded']);
    for (const r of statuses.rows)
      expect(c.stripe.refundsFor(String(r.pi))).toHaveLength(r.status === 'refunded' ? 1 : 0);
  });
});
