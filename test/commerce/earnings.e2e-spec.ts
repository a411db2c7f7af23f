import { buy, type CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { login, loginAdmin, registerUser, type TestUser } from '../support/users';

const API = '/api/v1';
const DAY = 86_400;

/**
 * Earnings: the ledger written with each sale, payout accounts (Connect), transfers, credits,
 * refunds and disputes — against the Stripe-compatible server, its records checked beside ours.
 */
describe('earnings, refunds and disputes', () => {
  let c: CommerceApp;
  let admin: TestUser;

  beforeAll(async () => {
    c = await startCommerceApp({ JOBS_AUTORUN: '0' });
    admin = await loginAdmin(c.t);
  });
  afterAll(async () => {
    await c?.close();
  });

  const http = () => c.t.http;
  /** Moves the application clock; the users named sign in again (access tokens last an hour). */
  const advance = async (seconds: number, ...users: TestUser[]) => {
    await c.t.advanceClock(seconds);
    for (const u of [admin, ...users]) Object.assign(u, await login(c.t, u.email, u.password));
  };
  const legsOf = async (purchaseId: string) =>
    (
      await c.db.query<{ user_id: string; amount_cents: number; status: string; share_bps: number }>(
        'SELECT user_id, amount_cents, status::text, share_bps FROM earnings_legs WHERE purchase_id = $1 ORDER BY amount_cents DESC',
        [purchaseId],
      )
    ).rows;
  const purchaseOf = async (purchaseId: string) =>
    (await c.db.query('SELECT amount_cents, platform_fee_cents FROM purchases WHERE id = $1', [purchaseId]))
      .rows[0] as {
      amount_cents: number;
      platform_fee_cents: number;
    };

  /** A producer whose connected account finished onboarding (account.updated delivered). */
  async function readyProducer(producer: TestUser): Promise<string> {
    const opened = await http()
      .post(`${API}/me/payout-account`)
      .set(producer.auth)
      .send({ country: 'US' })
      .expect(201);
    expect(opened.body.onboarding_url).toMatch(/^https:\/\//);
    expect(opened.body.account.transfers_ready).toBe(false);
    const account = opened.body.account.account_id as string;
    expect((await c.deliverConnect(c.stripe.setAccountReady(account, true))).status).toBe(200);
    const state = await http().get(`${API}/me/payout-account`).set(producer.auth).expect(200);
    expect(state.body).toMatchObject({ account_id: account, transfers_ready: true, payouts_enabled: true });
    return account;
  }

  it('writes legs that add up to the cent with the fee, split by the credits in force at purchase', async () => {
    const { producer, track } = await trackForSale(c.t);
    const writer = await registerUser(c.t);
    const singer = await registerUser(c.t);
    await http()
      .put(`${API}/tracks/${track.id}/collaborators`)
      .set(producer.auth)
      .send({
        collaborators: [
          { user_id: producer.id, role: 'producer', split_percent: 33.34 },
          { user_id: writer.id, role: 'songwriter', split_percent: 33.33 },
          { user_id: singer.id, role: 'featured_artist', split_percent: 33.33 },
        ],
      })
      .expect(200);
    const buyer = await registerUser(c.t);
    const { purchase, confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
    expect(confirmed.status).toBe(200);
    const legs = await legsOf(purchase.id);
    const p = await purchaseOf(purchase.id);
    expect(legs.reduce((s, l) => s + l.amount_cents, 0) + p.platform_fee_cents).toBe(p.amount_cents);
    // the collaborators have not accepted: their shares are held, the owner's is open
    expect(legs.find((l) => l.user_id === producer.id)!.status).toBe('open');
    expect(legs.filter((l) => l.status === 'held')).toHaveLength(2);

    // the writer accepts, the singer declines: held legs move, later sales follow
    const credits = await http().get(`${API}/me/credits`).set(writer.auth).expect(200);
    const credit = credits.body.data.find((x: { track_id: string }) => x.track_id === track.id);
    expect(credit.status).toBe('pending');
    await http().post(`${API}/me/credits/${credit.id}/accept`).set(writer.auth).expect(200);
    const singerCredit = (await http().get(`${API}/me/credits`).set(singer.auth)).body.data[0];
    // not the caller's, and unknown → credit_not_found
    expectError(
      await http().post(`${API}/me/credits/${singerCredit.id}/decline`).set(writer.auth),
      404,
      'credit_not_found',
    );
    expectError(
      await http().post(`${API}/me/credits/crd_00000000000000000000000000/accept`).set(writer.auth),
      404,
      'credit_not_found',
    );
    await http().post(`${API}/me/credits/${singerCredit.id}/decline`).set(singer.auth).expect(200);
    const after = await legsOf(purchase.id);
    expect(after.every((l) => l.status === 'open')).toBe(true);
    // 2999 × 33.34/33.33/33.33 % = 999.86/999.57/999.57 → 1000/1000/999 (largest remainders); the
    // declined 999 is the owner's
    expect(after).toHaveLength(3);
    expect(after.map((l) => [l.user_id, l.amount_cents])).toEqual(
      expect.arrayContaining([
        [writer.id, 1000],
        [producer.id, 1000],
        [producer.id, 999],
      ]),
    );

    // a later edit applies to later sales only
    await http()
      .put(`${API}/tracks/${track.id}/collaborators`)
      .set(producer.auth)
      .send({ collaborators: [{ user_id: producer.id, role: 'producer', split_percent: 100 }] })
      .expect(200);
    expect(await legsOf(purchase.id)).toEqual(after);
    const second = await buy(c.t, await registerUser(c.t), track.id, 'premium', 7999);
    expect((await legsOf(second.purchase.id)).map((l) => [l.user_id, l.amount_cents])).toEqual([
      [producer.id, 7999],
    ]);
  });

  it('the Connect endpoint takes only events signed with its secret, and only account changes', async () => {
    const producer = await registerUser(c.t);
    const opened = await http()
      .post(`${API}/me/payout-account`)
      .set(producer.auth)
      .send({ country: 'US' })
      .expect(201);
    const ready = c.stripe.setAccountReady(opened.body.account.account_id, true);
    // signed with the platform endpoint's secret: refused, nothing applied
    const now = Date.parse((await http().get(`${API}/__test/clock`)).body.now);
    const wrong = await c.stripe.deliver(`${c.webhook}/connect`, ready, Math.floor(now / 1000));
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body).code).toBe('stripe_signature_invalid');
    expect((await http().get(`${API}/me/payout-account`).set(producer.auth)).body.transfers_ready).toBe(
      false,
    );
    // a connected account's own payment: acknowledged, never read from Stripe
    const before = c.stripe.requests.length;
    const foreign = c.stripe.emit('payment_intent.succeeded', {
      id: 'pi_of_a_connected_account',
      object: 'payment_intent',
    });
    expect((await c.deliverConnect(foreign)).status).toBe(200);
    expect(c.stripe.requests.length).toBe(before);
    expect((await c.deliverConnect(ready)).status).toBe(200);
    expect((await http().get(`${API}/me/payout-account`).set(producer.auth)).body.transfers_ready).toBe(true);
  });

  it('a credit removed before it was answered leaves its held shares to its holder', async () => {
    const { producer, track } = await trackForSale(c.t);
    const writer = await registerUser(c.t);
    const credits = (split: number) =>
      http()
        .put(`${API}/tracks/${track.id}/collaborators`)
        .set(producer.auth)
        .send({
          collaborators: [
            { user_id: producer.id, role: 'producer', split_percent: 100 - split },
            ...(split ? [{ user_id: writer.id, role: 'songwriter', split_percent: split }] : []),
          ],
        })
        .expect(200);
    await credits(50);
    const { purchase } = await buy(c.t, await registerUser(c.t), track.id, 'basic', 2999);
    expect((await legsOf(purchase.id)).find((l) => l.user_id === writer.id)?.status).toBe('held');
    await credits(0);
    // the sale was made under the 50/50 credits: the writer's half is theirs, owed now
    expect((await legsOf(purchase.id)).find((l) => l.user_id === writer.id)).toMatchObject({
      status: 'open',
      amount_cents: 1499,
    });
    expect((await http().get(`${API}/me/credits`).set(writer.auth)).body.data).toEqual([]);
  });

  it('sales racing an acceptance: no share stays held once the credit is accepted', async () => {
    const { producer, track } = await trackForSale(c.t);
    const writer = await registerUser(c.t);
    await http()
      .put(`${API}/tracks/${track.id}/collaborators`)
      .set(producer.auth)
      .send({
        collaborators: [
          { user_id: producer.id, role: 'producer', split_percent: 70 },
          { user_id: writer.id, role: 'songwriter', split_percent: 30 },
        ],
      })
      .expect(200);
    const credit = (await http().get(`${API}/me/credits`).set(writer.auth)).body.data[0];
    const buyers = await Promise.all(Array.from({ length: 8 }, () => registerUser(c.t)));
    await Promise.all([
      ...buyers.map((b) => buy(c.t, b, track.id, 'basic', 2999)),
      http().post(`${API}/me/credits/${credit.id}/accept`).set(writer.auth).expect(200),
    ]);
    const legs = await c.db.query<{ status: string; n: number }>(
      `SELECT status::text, count(*)::int AS n FROM earnings_legs WHERE track_id = $1 AND credited_user_id = $2 GROUP BY 1`,
      [track.id, writer.id],
    );
    expect(legs.rows).toEqual([{ status: 'open', n: 8 }]);
  });

  it('a download racing a refund request: one of them wins, never both', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const { purchase, confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
    const licenseId = confirmed.body.license_id as string;
    const links = await Promise.all(
      Array.from({ length: 5 }, () =>
        http().post(`${API}/licenses/${licenseId}/download-links`).set(buyer.auth).expect(201),
      ),
    );
    const answers = await Promise.all([
      ...links.map((l) => http().get(new URL(l.body.url).pathname + new URL(l.body.url).search)),
      ...Array.from({ length: 5 }, () =>
        http().post(`${API}/purchases/${purchase.id}/refund`).set(buyer.auth),
      ),
    ]);
    const downloads = answers.slice(0, 5).filter((r) => r.status === 200 || r.status === 302).length;
    const refunds = answers.slice(5).filter((r) => r.status === 202).length;
    const row = (
      await c.db.query(
        `SELECT p.status::text, l.downloaded_at IS NOT NULL AS downloaded FROM purchases p JOIN licenses l ON l.purchase_id = p.id
         WHERE p.id = $1`,
        [purchase.id],
      )
    ).rows[0] as { status: string; downloaded: boolean };
    if (refunds) {
      expect(refunds).toBe(1);
      expect(row).toEqual({ status: 'refunding', downloaded: downloads > 0 });
      // a download served before the refund was claimed would have made it ineligible
      expect(downloads).toBe(0);
      answers.slice(0, 5).forEach((r) => expectError(r, 410, 'license_revoked'));
    } else {
      expect(row).toEqual({ status: 'succeeded', downloaded: true });
      answers.slice(5).forEach((r) => expectError(r, 409, 'refund_not_eligible'));
    }
  });

  it('a refund Stripe refuses is withdrawn: the purchase is paid again and its shares unfrozen', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const { purchase } = await buy(c.t, buyer, track.id, 'basic', 2999);
    await http().post(`${API}/purchases/${purchase.id}/refund`).set(buyer.auth).expect(202);
    expect(
      (
        await c.db.query('SELECT frozen_at IS NOT NULL AS f FROM earnings_legs WHERE purchase_id = $1', [
          purchase.id,
        ])
      ).rows,
    ).toEqual([{ f: true }]);
    c.stripe.failNext('POST /v1/refunds', 400, {
      type: 'invalid_request_error',
      code: 'charge_disputed',
      message: 'This charge has been disputed.',
    });
    await c.t.drain();
    const row = (
      await c.db.query('SELECT status::text, refund_requested_at FROM purchases WHERE id = $1', [purchase.id])
    ).rows[0];
    expect(row).toEqual({ status: 'succeeded', refund_requested_at: null });
    expect(
      (await c.db.query('SELECT frozen_at FROM earnings_legs WHERE purchase_id = $1', [purchase.id])).rows,
    ).toEqual([{ frozen_at: null }]);
    // asked again, it goes through
    await http().post(`${API}/purchases/${purchase.id}/refund`).set(buyer.auth).expect(202);
  });

  it('a partial refund in Stripe changes nothing here; a dispute closed as prevented unfreezes', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const sale = await buy(c.t, buyer, track.id, 'basic', 2999);
    const pi = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [
        sale.purchase.id,
      ])
    ).rows[0].pi as string;
    const charge = c.stripe.charges.get(String(c.stripe.paymentIntents.get(pi)!.latest_charge))!;
    Object.assign(charge, { amount_refunded: 100 });
    expect((await c.deliver(c.stripe.emit('charge.refunded', charge))).status).toBe(200);
    expect(
      (await c.db.query('SELECT status::text FROM licenses WHERE purchase_id = $1', [sale.purchase.id])).rows,
    ).toEqual([{ status: 'active' }]);
    const opened = c.stripe.dispute(pi);
    await c.deliver(opened);
    const dp = c.stripe.disputes.get((opened.data.object as { id: string }).id)!;
    dp.status = 'prevented';
    expect((await c.deliver(c.stripe.emit('charge.dispute.closed', dp))).status).toBe(200);
    const licenseId = sale.confirmed.body.license_id as string;
    await http().post(`${API}/licenses/${licenseId}/download-links`).set(buyer.auth).expect(201);
  });

  it('a transfer whose idempotency key expired is looked up at Stripe, not made again', async () => {
    const { producer, track } = await trackForSale(c.t);
    const account = await readyProducer(producer);
    await buy(c.t, await registerUser(c.t), track.id, 'basic', 2999);
    await advance(8 * DAY, producer);
    // Stripe makes it, the answer never comes; the retries find nobody home for a day
    c.stripe.faultNext('POST /v1/transfers', 'hang');
    // and the SDK's own retries (same key) are cut before Stripe reads them
    c.stripe.faultNext('POST /v1/transfers', 'drop');
    c.stripe.faultNext('POST /v1/transfers', 'drop');
    const first = await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201);
    expect(first.body.data[0].status).toBe('in_transit');
    await advance(25 * 3600, producer);
    // a day later Stripe has forgotten the key: asked again blindly, it would make a second one
    c.stripe.expireIdempotencyKeys();
    await c.t.drain();
    const made = [...c.stripe.transfers.values()].filter((t) => t.destination === account);
    expect(made).toHaveLength(1);
    expect(
      (
        await c.db.query('SELECT status::text, stripe_transfer_id FROM transfers WHERE id = $1', [
          first.body.data[0].id,
        ])
      ).rows,
    ).toEqual([{ status: 'sent', stripe_transfer_id: made[0].id }]);
    expect(c.stripe.calls('GET', '/v1/transfers').length).toBeGreaterThan(0);
  });

  it('refuses more than LIMIT_TRACK_COLLABORATORS people on a track', async () => {
    const { producer, track } = await trackForSale(c.t);
    const people = await Promise.all(Array.from({ length: 10 }, () => registerUser(c.t)));
    const res = await http()
      .put(`${API}/tracks/${track.id}/collaborators`)
      .set(producer.auth)
      .send({
        collaborators: [
          { user_id: producer.id, role: 'producer', split_percent: 50 },
          ...people.map((p) => ({ user_id: p.id, role: 'songwriter', split_percent: 5 })),
        ],
      });
    expectError(res, 422, 'validation_failed');
  });

  it('pays out once: not ready, below minimum, then 20 parallel "pay me now" → one transfer', async () => {
    const { producer, track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    // no account yet
    expectError(
      await http().post(`${API}/me/earnings/transfers`).set(producer.auth),
      409,
      'payout_account_not_ready',
    );
    const opened = await http()
      .post(`${API}/me/payout-account`)
      .set(producer.auth)
      .send({ country: 'US' })
      .expect(201);
    // a second call answers the same account
    const again = await http()
      .post(`${API}/me/payout-account`)
      .set(producer.auth)
      .send({ country: 'FR' })
      .expect(201);
    expect(again.body.account.account_id).toBe(opened.body.account.account_id);
    expect(c.stripe.accounts.size).toBeGreaterThan(0);
    expectError(
      await http().post(`${API}/me/earnings/transfers`).set(producer.auth),
      409,
      'payout_account_not_ready',
    );
    await c.deliverConnect(c.stripe.setAccountReady(opened.body.account.account_id, true));
    // ready, nothing available yet (sales are pending for 7 days)
    const { purchase } = await buy(c.t, buyer, track.id, 'basic', 2999);
    expectError(
      await http().post(`${API}/me/earnings/transfers`).set(producer.auth),
      422,
      'payout_below_minimum',
    );
    const pending = await http().get(`${API}/me/earnings`).set(producer.auth).expect(200);
    expect(pending.body.data).toEqual([
      expect.objectContaining({ currency: 'usd', pending: 2999, available: 0, held: 0 }),
    ]);
    await advance(8 * DAY, producer, buyer);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => http().post(`${API}/me/earnings/transfers`).set(producer.auth)),
    );
    const made = answers.filter((r) => r.status === 201);
    expect(made).toHaveLength(1);
    answers.filter((r) => r.status !== 201).forEach((r) => expectError(r, 422, 'payout_below_minimum'));
    expect(made[0].body.data).toEqual([expect.objectContaining({ amount_cents: 2999, status: 'sent' })]);
    const atStripe = [...c.stripe.transfers.values()].filter(
      (t) => t.destination === opened.body.account.account_id,
    );
    expect(atStripe).toHaveLength(1);
    expect(atStripe[0].amount).toBe(2999);
    // one sale paid: the transfer draws on its charge
    const pi = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [purchase.id])
    ).rows[0].pi;
    expect(atStripe[0].source_transaction).toBe(c.stripe.paymentIntents.get(pi)!.latest_charge);
    const ledger = (
      await c.db.query(
        `SELECT count(*)::int AS n, sum(amount_cents)::int AS sum FROM transfers WHERE user_id = $1 AND status = 'sent'`,
        [producer.id],
      )
    ).rows[0];
    expect(ledger).toEqual({ n: 1, sum: 2999 });
    const balances = await http().get(`${API}/me/earnings`).set(producer.auth).expect(200);
    expect(balances.body.data[0]).toMatchObject({ available: 0, paid: 2999, in_transit: 0 });
    const entries = await http().get(`${API}/me/earnings/entries`).set(producer.auth).expect(200);
    expect(entries.body.data[0]).toMatchObject({
      sale_id: purchase.id,
      state: 'paid',
      transfer_id: made[0].body.data[0].id,
    });
    const sales = await http().get(`${API}/me/sales?group_by=license_type`).set(producer.auth).expect(200);
    expect(sales.body.data).toEqual([
      expect.objectContaining({ key: 'basic', count: 1, net_cents: 2999, gross_cents: 3449 }),
    ]);
  });

  it('a transfer Stripe never answered is asked again with the same key; a refused one frees its legs', async () => {
    const { producer, track } = await trackForSale(c.t);
    const account = await readyProducer(producer);
    await buy(c.t, await registerUser(c.t), track.id, 'basic', 2999);
    await advance(8 * DAY, producer);
    c.stripe.faultNext('POST /v1/transfers', 'drop');
    c.stripe.faultNext('POST /v1/transfers', 'drop');
    c.stripe.faultNext('POST /v1/transfers', 'drop');
    const first = await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201);
    expect(first.body.data[0].status).toBe('in_transit');
    await advance(300, producer);
    await c.t.drain();
    const made = [...c.stripe.transfers.values()].filter((t) => t.destination === account);
    expect(made).toHaveLength(1);
    const row = (
      await c.db.query('SELECT status::text FROM transfers WHERE id = $1', [first.body.data[0].id])
    ).rows[0];
    expect(row.status).toBe('sent');

    // refused by Stripe: legs available again, never lost
    await buy(c.t, await registerUser(c.t), track.id, 'premium', 7999);
    await advance(8 * DAY, producer);
    c.stripe.failNext('POST /v1/transfers', 400, {
      type: 'invalid_request_error',
      code: 'account_invalid',
      message: 'no',
    });
    const refused = await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201);
    expect(refused.body.data[0].status).toBe('failed');
    const balances = await http().get(`${API}/me/earnings`).set(producer.auth).expect(200);
    expect(balances.body.data[0]).toMatchObject({ available: 7999, paid: 2999 });
    const holds = await http().get(`${API}/admin/earnings/holds`).set(admin.auth).expect(200);
    expect(holds.body.failed_transfers.map((t: { id: string }) => t.id)).toContain(refused.body.data[0].id);
    // the daily job transfers it once the account's backoff passed
    await advance(DAY + 3 * 3600, producer);
    await c.t.drain();
    expect(
      [...c.stripe.transfers.values()].filter((t) => t.destination === account).map((t) => t.amount),
    ).toEqual([2999, 7999]);
  });

  it('refunds: window, download, twice, 20 parallel → one refund; legs cancelled or reversed', async () => {
    const { producer, track } = await trackForSale(c.t);
    await readyProducer(producer);
    const buyer = await registerUser(c.t);
    const { purchase } = await buy(c.t, buyer, track.id, 'basic', 2999);
    const stranger = await registerUser(c.t);
    expectError(
      await http().post(`${API}/purchases/${purchase.id}/refund`).set(stranger.auth),
      404,
      'purchase_not_found',
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => http().post(`${API}/purchases/${purchase.id}/refund`).set(buyer.auth)),
    );
    expect(answers.filter((r) => r.status === 202)).toHaveLength(1);
    answers.filter((r) => r.status !== 202).forEach((r) => expectError(r, 409, 'already_refunded'));
    await c.t.drain();
    const pi = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [purchase.id])
    ).rows[0].pi;
    expect(c.stripe.refundsFor(pi)).toHaveLength(1);
    for (const e of c.stripe.eventsFor(pi).filter((e) => e.type === 'charge.refunded')) await c.deliver(e);
    const license = (
      await c.db.query('SELECT status::text FROM licenses WHERE purchase_id = $1', [purchase.id])
    ).rows[0];
    expect(license.status).toBe('revoked');
    expect((await legsOf(purchase.id)).map((l) => l.status)).toEqual(['cancelled']);
    expectError(
      await http().post(`${API}/purchases/${purchase.id}/refund`).set(buyer.auth),
      409,
      'already_refunded',
    );

    // after a download: not eligible; after 24 h: expired
    const second = await buy(c.t, buyer, track.id, 'premium', 7999);
    const licenseId = second.confirmed.body.license_id as string;
    const link = await http().post(`${API}/licenses/${licenseId}/download-links`).set(buyer.auth).expect(201);
    await http()
      .get(new URL(link.body.url).pathname + new URL(link.body.url).search)
      .expect((r) => {
        expect([200, 302]).toContain(r.status);
      });
    expectError(
      await http().post(`${API}/purchases/${second.purchase.id}/refund`).set(buyer.auth),
      409,
      'refund_not_eligible',
    );
    const third = await buy(c.t, buyer, track.id, 'unlimited', 19999);
    await advance(25 * 3600, producer, buyer);
    expectError(
      await http().post(`${API}/purchases/${third.purchase.id}/refund`).set(buyer.auth),
      410,
      'refund_window_expired',
    );

    // an admin refunds a sale already transferred: the transfer is reversed at Stripe
    await advance(7 * DAY, producer, buyer);
    const paid = await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201);
    expect(paid.body.data[0].amount_cents).toBe(7999 + 19999);
    await http()
      .post(`${API}/admin/purchases/${third.purchase.id}/refund`)
      .set(admin.auth)
      .send({ reason: 'chargeback risk' })
      .expect(202);
    await c.t.drain();
    const pi3 = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [
        third.purchase.id,
      ])
    ).rows[0].pi;
    for (const e of c.stripe.eventsFor(pi3).filter((e) => e.type === 'charge.refunded')) await c.deliver(e);
    await c.t.drain();
    expect(c.stripe.reversals.map((r) => r.amount)).toContain(19999);
    const audit = await c.db.query(
      `SELECT reason FROM audit_log WHERE action = 'purchase.refund' AND target_id = $1`,
      [third.purchase.id],
    );
    expect(audit.rows).toEqual([{ reason: 'chargeback risk' }]);
    // the exclusive rule: the revoked unlimited lease frees nothing else; balances add up
    const balances = await http().get(`${API}/me/earnings`).set(producer.auth).expect(200);
    expect(balances.body.data[0]).toMatchObject({ paid: 7999, negative: 0 });
  });

  it('a reversal Stripe refuses leaves a negative balance, recovered from the next earnings', async () => {
    const { producer, track } = await trackForSale(c.t);
    const account = await readyProducer(producer);
    const buyer = await registerUser(c.t);
    const sale = await buy(c.t, buyer, track.id, 'premium', 7999);
    await advance(8 * DAY, producer, buyer);
    await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201);
    // the producer paid it all out to their bank: nothing left to reverse
    c.stripe.accountBalanceAdjust.set(account, -7999);
    await http()
      .post(`${API}/admin/purchases/${sale.purchase.id}/refund`)
      .set(admin.auth)
      .send({ reason: 'fraud' })
      .expect(202);
    await c.t.drain();
    const pi = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [
        sale.purchase.id,
      ])
    ).rows[0].pi;
    for (const e of c.stripe.eventsFor(pi).filter((e) => e.type === 'charge.refunded')) await c.deliver(e);
    await c.t.drain();
    const balances = await http().get(`${API}/me/earnings`).set(producer.auth).expect(200);
    expect(balances.body.data[0]).toMatchObject({ negative: -7999 });
    // the next sale pays the debt first
    await buy(c.t, await registerUser(c.t), track.id, 'unlimited', 19999);
    await advance(8 * DAY, producer, buyer);
    const next = await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201);
    expect(next.body.data[0].amount_cents).toBe(19999 - 7999);
  });

  it('disputes freeze the license and the legs; won unfreezes, lost acts as a refund', async () => {
    const { producer, track } = await trackForSale(c.t);
    await readyProducer(producer);
    const buyer = await registerUser(c.t);
    const sale = await buy(c.t, buyer, track.id, 'basic', 2999);
    const licenseId = sale.confirmed.body.license_id as string;
    const pi = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [
        sale.purchase.id,
      ])
    ).rows[0].pi;
    const link = await http().post(`${API}/licenses/${licenseId}/download-links`).set(buyer.auth).expect(201);
    const opened = c.stripe.dispute(pi);
    expect((await c.deliver(opened)).status).toBe(200);
    expectError(
      await http().post(`${API}/licenses/${licenseId}/download-links`).set(buyer.auth),
      403,
      'license_frozen',
    );
    const url = new URL(link.body.url);
    expectError(await http().get(url.pathname + url.search), 403, 'license_frozen');
    expectError(
      await http().post(`${API}/purchases/${sale.purchase.id}/refund`).set(buyer.auth),
      409,
      'charge_disputed',
    );
    await advance(8 * DAY, producer, buyer);
    expectError(
      await http().post(`${API}/me/earnings/transfers`).set(producer.auth),
      422,
      'payout_below_minimum',
    );
    const holds = await http().get(`${API}/admin/earnings/holds`).set(admin.auth).expect(200);
    expect(holds.body.open_disputes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ purchase_id: sale.purchase.id, frozen_cents: 2999 }),
      ]),
    );
    const disputeId = (opened.data.object as { id: string }).id;
    expect((await c.deliver(c.stripe.closeDispute(disputeId, 'won'))).status).toBe(200);
    await http().post(`${API}/licenses/${licenseId}/download-links`).set(buyer.auth).expect(201);
    expect(
      (await http().post(`${API}/me/earnings/transfers`).set(producer.auth).expect(201)).body.data[0]
        .amount_cents,
    ).toBe(2999);

    // lost: revoked, the transferred leg reversed
    const other = await buy(c.t, buyer, track.id, 'premium', 7999);
    const pi2 = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [
        other.purchase.id,
      ])
    ).rows[0].pi;
    await c.deliver(c.stripe.dispute(pi2));
    const dp2 = [...c.stripe.disputes.values()].find((d) => d.payment_intent === pi2)!;
    await c.deliver(c.stripe.closeDispute(String(dp2.id), 'lost'));
    await c.t.drain();
    const license = (
      await c.db.query('SELECT status::text, revoked_reason FROM licenses WHERE purchase_id = $1', [
        other.purchase.id,
      ])
    ).rows[0];
    expect(license).toEqual({ status: 'revoked', revoked_reason: 'dispute_lost' });
    expect((await legsOf(other.purchase.id)).map((l) => l.status)).toEqual(['cancelled']);
  });
});
