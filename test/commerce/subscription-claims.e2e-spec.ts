import { CommerceApp, startCommerceApp } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { connect, lockWaiters } from '../support/locks';
import { loginAdmin, registerUser, TestUser } from '../support/users';

/** Subscriptions are claimed in the database before Stripe is called (issue 8). */
describe('subscription claims', () => {
  let c: CommerceApp;
  let db: CommerceApp['db'];

  beforeAll(async () => {
    c = await startCommerceApp();
    db = c.db;
  });
  afterAll(async () => {
    await c?.close();
  });

  const subscribe = (u: TestUser, plan: string, payment_method = 'pm_card_visa') =>
    c.t.http.post('/api/v1/billing/subscription').set(u.auth).send({ plan, payment_method });
  const cancel = (u: TestUser) => c.t.http.delete('/api/v1/billing/subscription').set(u.auth);
  const me = async (u: TestUser) =>
    (await c.t.http.get('/api/v1/me/subscription').set(u.auth).expect(200)).body;
  const tokens = async (u: TestUser) =>
    (await c.t.http.get('/api/v1/me/request-tokens').set(u.auth).expect(200)).body;
  const stripeSubscriptionsOf = (u: TestUser) =>
    [...c.stripe.subscriptions.values()].filter(
      (s) => (s.metadata as { user_id?: string }).user_id === u.id,
    ) as { id: string }[];
  const eventsOf = (subscriptionId: string, type: string) =>
    c.stripe.events.filter(
      (e) => e.type === type && (e.data.object as unknown as { id: string }).id === subscriptionId,
    );
  const rows = async (u: TestUser) =>
    (
      await db.query(
        'SELECT id, plan_id, status, stripe_subscription_id FROM subscriptions WHERE user_id = $1 ORDER BY created_at',
        [u.id],
      )
    ).rows;
  const current = async (u: TestUser) =>
    (
      await db.query("SELECT to_jsonb(u) ->> 'current_subscription_id' AS id FROM users u WHERE id = $1", [
        u.id,
      ])
    ).rows[0].id;

  /** subscribes and delivers Stripe's created event: the user is on the plan */
  async function subscribed(u: TestUser, plan: string) {
    await subscribe(u, plan).expect(201);
    const sub = stripeSubscriptionsOf(u).at(-1)!;
    expect((await c.deliver(eventsOf(sub.id, 'customer.subscription.created')[0])).status).toBe(200);
    expect((await me(u)).plan.id).toBe(plan);
    return sub.id;
  }

  it('20 concurrent subscribes of one user make one Stripe subscription and one row', async () => {
    const u = await registerUser(c.t);
    const calls = c.stripe.calls('POST', '/v1/subscriptions').length;
    const results = await Promise.all(Array.from({ length: 20 }, () => subscribe(u, 'pro')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    // under the user's row lock each sees the first one's claim (pending, then done): same plan
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 409, 'already_subscribed');
    const made = c.stripe.calls('POST', '/v1/subscriptions').slice(calls);
    expect(made).toHaveLength(1);
    expect(stripeSubscriptionsOf(u)).toHaveLength(1);
    expect(await rows(u)).toHaveLength(1);
    // the Stripe idempotency key is the claim's id, never a clock reading
    const [request] = (
      await db.query(
        "SELECT id, status FROM subscription_requests WHERE user_id = $1 AND action = 'create'",
        [u.id],
      )
    ).rows;
    expect(request.status).toBe('done');
    expect(made[0].idempotencyKey).toBe(`subscription-request:${request.id}`);
  });

  it('20 concurrent subscribes to different plans still make one Stripe subscription', async () => {
    const u = await registerUser(c.t);
    const plans = Array.from({ length: 20 }, (_, i) => ['classic', 'plus', 'pro'][i % 3]);
    // all twenty queue on the user's row lock (held here) before any decides, so each decides
    // while the first one's claim is pending: one claim, and the others refused by the rule (the
    // first's plan) or as in progress. Unheld, a request arriving after the first one finished
    // would change the plan (a second 201), and how many did depended on timing.
    const holder = await connect(c.t.databaseUrl);
    let results: Awaited<ReturnType<typeof subscribe>>[];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [u.id]);
      const pending = Promise.all(plans.map((plan) => subscribe(u, plan).then((r) => r)));
      await lockWaiters(c.t.databaseUrl, { count: plans.length, statement: 'SELECT id FROM users WHERE id' });
      await holder.query('COMMIT');
      results = await pending;
    } finally {
      await holder.end();
    }
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect(stripeSubscriptionsOf(u)).toHaveLength(1);
    const [row] = await rows(u);
    expect(await rows(u)).toHaveLength(1);
    results.forEach((r, i) => {
      if (r === created[0]) expect(plans[i]).toBe(row.plan_id);
      else if (plans[i] === row.plan_id) expectError(r, 409, 'already_subscribed');
      else expectError(r, 409, 'idempotency_request_in_progress');
    });
    expect(
      Number(
        (
          await db.query(
            "SELECT count(*) FROM subscription_requests WHERE user_id = $1 AND status = 'pending'",
            [u.id],
          )
        ).rows[0].count,
      ),
    ).toBe(0);
  });

  it('a late event of a replaced subscription changes nothing', async () => {
    const u = await registerUser(c.t);
    const first = await subscribed(u, 'classic');
    const firstCreated = eventsOf(first, 'customer.subscription.created')[0];
    // the first subscription ends; the user subscribes again, to pro
    expect((await c.deliver(c.stripe.cancelSubscription(first))).status).toBe(200);
    expect((await me(u)).plan.id).toBe('explorer');
    const second = await subscribed(u, 'pro');
    expect(second).not.toBe(first);
    const before = {
      me: await me(u),
      tokens: await tokens(u),
      current: await current(u),
      row: (await rows(u)).find((r) => r.stripe_subscription_id === second),
    };
    // the first one's events, delivered late (new ids: Stripe's retries of events we never got)
    for (const late of [firstCreated, eventsOf(first, 'customer.subscription.deleted')[0]]) {
      expect((await c.deliver({ ...late, id: `${late.id}_late` })).status).toBe(200);
    }
    expect(await me(u)).toEqual(before.me);
    expect(await tokens(u)).toEqual(before.tokens);
    expect(await current(u)).toBe(before.current);
    expect((await rows(u)).find((r) => r.stripe_subscription_id === second)).toEqual(before.row);
    expect(before.me).toMatchObject({ plan: { id: 'pro' }, status: 'active' });
  });

  it('answers already_subscribed for the plan a user is on, by a subscription or by the admin override', async () => {
    const u = await registerUser(c.t);
    await subscribed(u, 'plus');
    expectError(await subscribe(u, 'plus'), 409, 'already_subscribed');

    const gifted = await registerUser(c.t);
    const admin = await loginAdmin(c.t);
    await c.t.http
      .put(`/api/v1/admin/users/${gifted.id}/plan`)
      .set(admin.auth)
      .send({ plan: 'pro' })
      .expect(200);
    const calls = c.stripe.requests.length;
    expectError(await subscribe(gifted, 'pro'), 409, 'already_subscribed');
    expect(c.stripe.requests.length).toBe(calls);
    // no subscription to cancel either: the plan was given, not bought
    expectError(await cancel(gifted), 400, 'bad_request');
  });

  it('cancels at the period end: Stripe is told, the plan stays until Stripe says it ended', async () => {
    const u = await registerUser(c.t);
    expectError(await cancel(u), 400, 'bad_request');
    const sub = await subscribed(u, 'plus');

    const res = await cancel(u).expect(200);
    expect(res.body).toMatchObject({ plan: { id: 'plus' }, status: 'active', cancel_at_period_end: true });
    expect(c.stripe.subscriptions.get(sub)!.cancel_at_period_end).toBe(true);
    const updates = c.stripe.calls('POST', `/v1/subscriptions/${sub}`);
    expect(updates).toHaveLength(1);
    expect(updates[0].idempotencyKey).toMatch(/^subscription-request:sbr_/);
    // again: the same answer, Stripe not called twice
    expect((await cancel(u).expect(200)).body.cancel_at_period_end).toBe(true);
    expect(c.stripe.calls('POST', `/v1/subscriptions/${sub}`)).toHaveLength(1);

    expect((await c.deliver(eventsOf(sub, 'customer.subscription.updated').at(-1)!)).status).toBe(200);
    expect(await me(u)).toMatchObject({ plan: { id: 'plus' }, cancel_at_period_end: true });
    // the period ends
    expect((await c.deliver(c.stripe.cancelSubscription(sub))).status).toBe(200);
    expect(await me(u)).toMatchObject({ plan: { id: 'explorer' }, status: 'canceled' });
    expectError(await cancel(u), 400, 'bad_request');
  });

  it('finishes a request that died after Stripe made the subscription, from Stripe’s event', async () => {
    const u = await registerUser(c.t);
    // the request claimed, called Stripe, and died before recording the answer
    await subscribe(u, 'classic', 'pm_card_chargeDeclined').expect(402); // makes the Stripe customer
    const customer = (await db.query('SELECT stripe_customer_id FROM users WHERE id = $1', [u.id])).rows[0]
      .stripe_customer_id as string;
    expect(customer).toMatch(/^cus_/);
    const requestId = 'sbr_crashed' + Math.random().toString(36).slice(2, 8);
    const at = new Date();
    await db.query(
      `INSERT INTO subscription_requests (id, user_id, action, plan_id, payment_method, status, created_at, updated_at)
       VALUES ($1, $2, 'create', 'plus', 'pm_card_visa', 'pending', $3, $3)`,
      [requestId, u.id, at],
    );
    expectError(await subscribe(u, 'pro'), 409, 'idempotency_request_in_progress');
    expect((await me(u)).pending_plan_id).toBe('plus');
    const sub = await c.sdk.subscriptions.create(
      {
        customer,
        items: [{ price: 'price_plus' }],
        default_payment_method: 'pm_card_visa',
        metadata: { user_id: u.id, plan_id: 'plus', request_id: requestId },
      },
      { idempotencyKey: `subscription-request:${requestId}` },
    );
    expect((await c.deliver(eventsOf(sub.id, 'customer.subscription.created')[0])).status).toBe(200);
    expect(await me(u)).toMatchObject({ plan: { id: 'plus' }, status: 'active', pending_plan_id: null });
    expect(
      (await db.query('SELECT status FROM subscription_requests WHERE id = $1', [requestId])).rows[0].status,
    ).toBe('done');
    expect(await current(u)).toBe((await rows(u))[0].id);
  });

  it('resumes a claim whose request died before Stripe answered, with the same idempotency key', async () => {
    const u = await registerUser(c.t);
    const requestId = 'sbr_stale' + Math.random().toString(36).slice(2, 8);
    const long = new Date(Date.now() - 10 * 60 * 1000);
    await db.query(
      `INSERT INTO subscription_requests (id, user_id, action, plan_id, payment_method, status, created_at, updated_at)
       VALUES ($1, $2, 'create', 'classic', 'pm_card_visa', 'pending', $3, $3)`,
      [requestId, u.id, long],
    );
    // the next request finishes the dead one first, then decides: classic is now pending
    expectError(await subscribe(u, 'classic'), 409, 'already_subscribed');
    const made = c.stripe
      .calls('POST', '/v1/subscriptions')
      .filter((r) => r.idempotencyKey === `subscription-request:${requestId}`);
    expect(made).toHaveLength(1);
    expect(stripeSubscriptionsOf(u)).toHaveLength(1);
    expect(await rows(u)).toHaveLength(1);
    expect((await me(u)).pending_plan_id).toBe('classic');
  });
});
