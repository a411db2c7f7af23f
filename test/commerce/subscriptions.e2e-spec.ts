import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { registerUser, TestUser } from '../support/users';

describe('plans and subscriptions', () => {
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
  const me = async (u: TestUser) =>
    (await c.t.http.get('/api/v1/me/subscription').set(u.auth).expect(200)).body;
  const deliverAll = async (types: string[]) => {
    for (const e of c.stripe.events.filter((x) => types.includes(x.type))) await c.deliver(e);
  };

  it('lists the plans, cheapest first', async () => {
    const plans = await c.t.http.get('/api/v1/plans').expect(200);
    expect(
      plans.body.data.map(
        (p: {
          id: string;
          price_cents: number;
          request_tokens_per_month: number;
          radio_skips_per_hour: number | null;
        }) => [p.id, p.price_cents, p.request_tokens_per_month, p.radio_skips_per_hour],
      ),
    ).toEqual([
      ['explorer', 0, 1, 6],
      ['classic', 2900, 1, 6],
      ['plus', 4500, 3, 30],
      ['pro', 5900, 5, null],
    ]);
  });

  it('refuses unknown plans, the free plan, and card errors', async () => {
    const u = await registerUser(c.t);
    expect(await me(u)).toMatchObject({ plan: { id: 'explorer' }, status: 'none' });
    expectError(await subscribe(u, 'platinum'), 404, 'plan_not_found');
    expectError(await subscribe(u, 'explorer'), 422, 'free_plan_no_payment');
    expectError(
      await subscribe(u, 'plus', 'pm_card_chargeDeclinedInsufficientFunds'),
      402,
      'insufficient_funds',
    );
    expectError(await subscribe(u, 'plus', 'pm_card_chargeDeclined'), 402, 'card_declined');
    expect((await me(u)).plan.id).toBe('explorer');
  });

  it('changes the plan only when Stripe confirms, then refuses the same plan again', async () => {
    const u = await registerUser(c.t);
    const res = await subscribe(u, 'plus').set('Idempotency-Key', 'sub-1').expect(201);
    expect(res.body).toMatchObject({ plan: { id: 'explorer' }, pending_plan_id: 'plus' });
    expect(c.stripe.customers.size).toBeGreaterThan(0);
    await deliverAll(['customer.subscription.created']);
    expect(await me(u)).toMatchObject({
      plan: { id: 'plus' },
      status: 'active',
      pending_plan_id: null,
      current_period_end: expect.any(String),
    });
    expect((await c.t.http.get('/api/v1/me').set(u.auth)).body.plan.id).toBe('plus');
    expectError(await subscribe(u, 'plus'), 409, 'already_subscribed');

    // switching plans updates the same Stripe subscription
    await subscribe(u, 'pro').expect(201);
    await deliverAll(['customer.subscription.updated']);
    expect((await me(u)).plan.id).toBe('pro');
    expect(
      Number((await db.query('SELECT count(*) FROM subscriptions WHERE user_id = $1', [u.id])).rows[0].count),
    ).toBe(1);
  });

  it('holds plan features back while past due, and returns to explorer when canceled; stale events are ignored', async () => {
    const u = await registerUser(c.t);
    await subscribe(u, 'classic').expect(201);
    const created = c.stripe.events.filter((e) => e.type === 'customer.subscription.created').at(-1)!;
    await c.deliver(created);
    const subscriptionId = (created.data.object as { id: string }).id;
    const { track } = await trackForSale(c.t);
    await c.t.http.post(`/api/v1/tracks/${track.id}/plan-download`).set(u.auth).expect(201);

    const [invoiceFailed, pastDue] = c.stripe.failRenewal(subscriptionId);
    await c.deliver(invoiceFailed);
    expect((await me(u)).status).toBe('past_due');
    const { track: another } = await trackForSale(c.t);
    const blocked = await c.t.http.post(`/api/v1/tracks/${another.id}/plan-download`).set(u.auth);
    expectError(blocked, 403, 'entitlement_required');
    expect(blocked.body.plan_id).toBe('classic');
    await c.deliver(pastDue);

    // an older event arriving late changes nothing
    await c.deliver({ ...created, id: `${created.id}_late`, created: pastDue.created - 5 });
    expect((await me(u)).status).toBe('past_due');
    // nor does one stamped the same second as the last applied: Stripe's current state decides
    await c.deliver({ ...created, id: `${created.id}_tie`, created: pastDue.created });
    expect((await me(u)).status).toBe('past_due');

    await c.deliver(c.stripe.cancelSubscription(subscriptionId));
    expect(await me(u)).toMatchObject({ plan: { id: 'explorer' }, status: 'canceled' });
  });
});
