import { Client } from 'pg';
import { checkInvariants, emptyChecks, InvariantLimits, InvariantResult, violationCount } from './invariants';
import { StripeFake } from './stripe-fake';
import { createTestDatabase, TestDatabase } from './test-app';

/**
 * The invariants npm run chaos and the fleet spec check, against crafted database states: each
 * check that replaced one a unique index or the Stripe fake made unbreakable is shown to fail
 * on the state it names (and pass once the state is right), and a check that looked at no rows
 * is reported as such. Each test runs in a transaction that is rolled back.
 */
const LIMITS: InvariantLimits = {
  submissionsPerRequest: 5,
  followsPerHour: 6,
  messagesPerMinute: 4,
  following: 10,
};
const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe('invariants of the chaos run and the fleet spec', () => {
  let database: TestDatabase;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Client({ connectionString: database.url });
    await db.connect();
    // the job clock's table, which the application creates when it boots (the lost-job check
    // reads it beside pg-boss's jobs, which the template has)
    await db.query('CREATE TABLE IF NOT EXISTS pgboss.app_clock (offset_ms bigint)');
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  beforeEach(() => db.query('BEGIN'));
  afterEach(() => db.query('ROLLBACK'));

  const check = (results: InvariantResult[], name: string): InvariantResult => {
    const r = results.find((x) => x.name.startsWith(name));
    if (!r) throw new Error(`no check named ${name}…: ${results.map((x) => x.name).join(' | ')}`);
    return r;
  };
  const users = async (n: number): Promise<string[]> => {
    const ids = Array.from({ length: n }, (_, i) => `usr_inv${String(i).padStart(3, '0')}`);
    for (const id of ids)
      await db.query(
        `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
         VALUES ($1, $1 || '@test.local', 'x', $1, $2, $2)`,
        [id, at(0)],
      );
    return ids;
  };
  const follow = (from: string, to: string, minutes: number) =>
    db.query('INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3)', [
      from,
      to,
      at(minutes),
    ]);

  it('reports a check that examined no rows instead of passing it', async () => {
    const results = await checkInvariants(db, LIMITS);
    expect(violationCount(results)).toBe(0);
    expect(emptyChecks(results)).toEqual(
      expect.arrayContaining([
        'follows per follower per rolling hour ≤ limit (follows table)',
        'messages per sender per rolling minute ≤ limit (messages table)',
        'plays: counted on-demand listens ≤ play count ≤ listens',
      ]),
    );
    for (const r of results) expect(typeof r.examined).toBe('number');
  });

  it('counts follows per rolling hour from the follows table (the limiter’s log may say anything)', async () => {
    const [fan, ...others] = await users(9);
    // six follows in the hour: the limit, met
    for (let i = 0; i < 6; i++) await follow(fan, others[i], i * 10);
    let r = check(await checkInvariants(db, LIMITS), 'follows per follower per rolling hour');
    expect(r).toMatchObject({ examined: 6, violations: [] });

    // a seventh within the hour of the first: broken, though rate_events has no row at all
    await follow(fan, others[6], 59);
    r = check(await checkInvariants(db, LIMITS), 'follows per follower per rolling hour');
    expect(r.examined).toBe(7);
    expect(r.violations).toEqual([expect.objectContaining({ follower_id: fan, in_the_hour_before: 7 })]);
    expect((await db.query('SELECT count(*)::int AS n FROM rate_events')).rows[0].n).toBe(0);
  });

  it('caps follows per follower at LIMIT_FOLLOWING', async () => {
    const [fan, ...others] = await users(12);
    // one every two hours: never more than one in an hour, eleven in all
    for (let i = 0; i < 11; i++) await follow(fan, others[i], i * 120);
    const results = await checkInvariants(db, LIMITS);
    expect(check(results, 'follows per follower per rolling hour').violations).toEqual([]);
    expect(check(results, 'follows per follower ≤ LIMIT_FOLLOWING')).toMatchObject({
      examined: 1,
      violations: [{ follower_id: fan, n: 11 }],
    });
  });

  it('counts messages per sender per rolling minute from the messages table', async () => {
    const [a, b] = await users(2);
    await db.query(
      `INSERT INTO conversations (id, user_a, user_b, created_at) VALUES ('cnv_1', $1, $2, $3)`,
      [a, b, at(0)],
    );
    const send = (i: number, seconds: number) =>
      db.query(
        `INSERT INTO messages (id, conversation_id, sender_id, body, created_at) VALUES ($1, 'cnv_1', $2, 'hi', $3)`,
        [`msg_${i}`, a, new Date(T0 + seconds * 1000)],
      );
    for (let i = 0; i < 4; i++) await send(i, i * 15);
    await send(4, 75); // 15 s after the fourth: the first left the minute 15 s ago
    let r = check(await checkInvariants(db, LIMITS), 'messages per sender per rolling minute');
    expect(r).toMatchObject({ examined: 5, violations: [] });

    await send(5, 50); // five in the minute ending at 50 s
    r = check(await checkInvariants(db, LIMITS), 'messages per sender per rolling minute');
    expect(r.violations).toEqual([expect.objectContaining({ sender_id: a, in_the_minute_before: 5 })]);
  });

  it('holds play counts between the counted listens and all listens', async () => {
    const [producer, listener] = await users(2);
    await db.query(
      `INSERT INTO tracks (id, owner_id, title, bpm, genre, source, external_url, created_at, updated_at)
       VALUES ('trk_1', $1, 'Beat', 90, 'trap', 'external', 'https://example.com/beat', $2, $2)`,
      [producer, at(0)],
    );
    await db.query(
      `INSERT INTO listens (id, user_id, track_id, created_at, counted) VALUES ('lsn_1', $1, 'trk_1', $2, true), ('lsn_2', $1, 'trk_1', $2, true)`,
      [listener, at(1)],
    );
    // fewer counts than the listens recorded as counted
    await db.query(`INSERT INTO track_play_counts (track_id, plays) VALUES ('trk_1', 1)`);
    let r = check(
      await checkInvariants(db, LIMITS),
      'plays: counted on-demand listens ≤ play count ≤ listens',
    );
    expect(r).toMatchObject({
      examined: 2,
      violations: [{ track_id: 'trk_1', plays: '1', listens: 2, counted: 2 }],
    });
    // more counts than listens
    await db.query(`UPDATE track_play_counts SET plays = 3`);
    r = check(await checkInvariants(db, LIMITS), 'plays: counted on-demand listens ≤ play count ≤ listens');
    expect(r).toMatchObject({ examined: 2, violations: [{ track_id: 'trk_1', plays: '3', listens: 2 }] });

    await db.query(`UPDATE track_play_counts SET plays = 2`);
    r = check(await checkInvariants(db, LIMITS), 'plays: counted on-demand listens ≤ play count ≤ listens');
    expect(r).toMatchObject({ examined: 2, violations: [] });
  });

  it('checks the earnings ledger: legs + fee = amount, transfers = their legs, refunded sales owe nothing', async () => {
    const [producer, buyer, writer] = await users(3);
    await db.query(
      `INSERT INTO tracks (id, owner_id, title, bpm, genre, source, external_url, created_at, updated_at)
       VALUES ('trk_e', $1, 'Beat', 90, 'trap', 'external', 'https://example.com/beat', $2, $2)`,
      [producer, at(0)],
    );
    await db.query(
      `INSERT INTO purchases (id, buyer_id, track_id, license_type, price_cents, platform_fee_cents, amount_cents,
                              currency, status, stripe_payment_intent_id, paid_at, expires_at, created_at, updated_at)
       VALUES ('pur_e', $1, 'trk_e', 'basic', 2999, 450, 3449, 'usd', 'succeeded', 'pi_e', $2, $2, $2, $2)`,
      [buyer, at(1)],
    );
    await db.query(
      `INSERT INTO licenses (id, purchase_id, holder_id, track_id, type, status, certificate_number, price_cents,
                             currency, source, issued_at)
       VALUES ('lic_e', 'pur_e', $1, 'trk_e', 'basic', 'active', 'C-E', 2999, 'usd', 'purchase', $2)`,
      [buyer, at(1)],
    );
    const leg = (id: string, user: string, cents: number, status: string, transfer: string | null = null) =>
      db.query(
        `INSERT INTO earnings_legs (id, user_id, credited_user_id, purchase_id, track_id, currency, amount_cents,
                                   share_bps, status, transfer_id, available_at, created_at, updated_at)
         VALUES ($1, $2, $2, 'pur_e', 'trk_e', 'usd', $3, 5000, $4::leg_status, $5, $6, $6, $6)`,
        [id, user, cents, status, transfer, at(1)],
      );
    // a cent lost by rounding: 1499 + 1499 + 450 ≠ 3449
    await leg('leg_a', producer, 1499, 'open');
    await leg('leg_b', writer, 1499, 'held');
    let results = await checkInvariants(db, LIMITS);
    expect(check(results, 'earnings: legs + fee = amount')).toMatchObject({
      examined: 1,
      violations: [expect.objectContaining({ id: 'pur_e', legs: '2998' })],
    });
    await db.query(`UPDATE earnings_legs SET amount_cents = 1500 WHERE id = 'leg_a'`);
    results = await checkInvariants(db, LIMITS);
    expect(check(results, 'earnings: legs + fee = amount').violations).toEqual([]);

    // a transfer for more than its legs, and a leg paid by a transfer Stripe refused
    await db.query(
      `INSERT INTO transfers (id, user_id, stripe_account_id, currency, amount_cents, status, created_at, updated_at)
       VALUES ('tr_e', $1, 'acct_e', 'usd', 1600, 'sent', $2, $2), ('tr_f', $1, 'acct_e', 'usd', 100, 'failed', $2, $2)`,
      [producer, at(2)],
    );
    await db.query(`UPDATE earnings_legs SET status = 'paid', transfer_id = 'tr_e' WHERE id = 'leg_a'`);
    results = await checkInvariants(db, LIMITS);
    expect(check(results, 'earnings: each transfer is the sum of its legs').violations).toEqual([
      expect.objectContaining({ id: 'tr_e', amount_cents: 1600, sum: 1500 }),
    ]);
    await db.query(`UPDATE transfers SET amount_cents = 1500 WHERE id = 'tr_e'`);
    await db.query(`UPDATE earnings_legs SET transfer_id = 'tr_f' WHERE id = 'leg_a'`);
    results = await checkInvariants(db, LIMITS);
    expect(
      check(results, 'earnings: each transfer is the sum of its legs').violations.length,
    ).toBeGreaterThan(0);
    await db.query(`UPDATE earnings_legs SET transfer_id = 'tr_e' WHERE id = 'leg_a'`);

    // refunded: the held leg still owed, the paid one never reversed
    await db.query(`UPDATE purchases SET status = 'refunded', refunded_at = $1 WHERE id = 'pur_e'`, [at(3)]);
    results = await checkInvariants(db, LIMITS);
    expect(
      check(results, 'earnings: a refunded sale owes nothing')
        .violations.map((v) => (v as { id: string }).id)
        .sort(),
    ).toEqual(['leg_a', 'leg_b']);
    await db.query(`UPDATE earnings_legs SET status = 'cancelled', voided_at = $1 WHERE id = 'leg_b'`, [
      at(3),
    ]);
    await db.query(
      `INSERT INTO reversals (id, leg_id, transfer_id, amount_cents, status, created_at, updated_at)
       VALUES ('rev_e', 'leg_a', 'tr_e', 1500, 'reversed', $1, $1)`,
      [at(3)],
    );
    results = await checkInvariants(db, LIMITS);
    expect(check(results, 'earnings: a refunded sale owes nothing').violations).toEqual([]);
  });

  it('compares Stripe’s payments, refunds, events and subscriptions with ours, both ways', async () => {
    const [producer, buyer] = await users(2);
    await db.query(
      `INSERT INTO tracks (id, owner_id, title, bpm, genre, source, external_url, created_at, updated_at)
       VALUES ('trk_1', $1, 'Beat', 90, 'trap', 'external', 'https://example.com/beat', $2, $2)`,
      [producer, at(0)],
    );
    // a purchase we hold as refunded (its license revoked)
    await db.query(
      `INSERT INTO purchases (id, buyer_id, track_id, license_type, price_cents, platform_fee_cents, amount_cents,
                              currency, status, stripe_payment_intent_id, paid_at, refunded_at, expires_at, created_at, updated_at)
       VALUES ('pur_1', $1, 'trk_1', 'basic', 2999, 0, 2999, 'usd', 'refunded', 'pi_1', $2, $2, $2, $2, $2)`,
      [buyer, at(1)],
    );
    await db.query(
      `INSERT INTO licenses (id, purchase_id, holder_id, track_id, type, status, certificate_number, price_cents,
                             currency, source, issued_at, revoked_at)
       VALUES ('lic_1', 'pur_1', $1, 'trk_1', 'basic', 'revoked', 'C-1', 2999, 'usd', 'purchase', $2, $2)`,
      [buyer, at(1)],
    );
    await db.query(
      `INSERT INTO subscriptions (id, user_id, plan_id, stripe_customer_id, stripe_subscription_id, status, created_at, updated_at)
       VALUES ('sbs_1', $1, 'plus', 'cus_1', 'sub_1', 'incomplete', $2, $2)`,
      [buyer, at(1)],
    );
    const stripe = new StripeFake();
    stripe.paymentIntents.set('pi_1', { id: 'pi_1', status: 'succeeded', amount: 2999, currency: 'usd' });
    stripe.subscriptions.set('sub_1', {
      id: 'sub_1',
      status: 'active',
      cancel_at_period_end: false,
      items: { data: [{ price: { id: 'price_plus' } }] },
    });
    stripe.emit('payment_intent.succeeded', { id: 'pi_1' });

    let results = await checkInvariants(db, LIMITS, { stripe });
    // refunded here, never at Stripe: each side sees it (the fake refuses a second refund, so
    // "refunded twice" could never be seen; this can)
    expect(check(results, 'Stripe → ours').violations).toEqual([
      expect.objectContaining({ payment_intent: 'pi_1', problem: 'kept, but no license in force' }),
    ]);
    expect(check(results, 'ours → Stripe').violations).toEqual([
      expect.objectContaining({ purchase: 'pur_1', problem: 'refunded here, 0 refunds at Stripe' }),
    ]);
    expect(check(results, 'Stripe events').violations).toEqual([
      expect.objectContaining({ type: 'payment_intent.succeeded', recorded: null }),
    ]);
    expect(check(results, 'Stripe ↔ ours: subscriptions').violations).toEqual([
      { subscription: 'sub_1', problem: 'incomplete here, active at Stripe' },
    ]);

    // Stripe's refund, the event recorded, the subscription as Stripe has it: clean
    stripe.refunds.push({ id: 're_1', payment_intent: 'pi_1', amount: 2999 });
    const [event] = stripe.events;
    await db.query(`INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3)`, [
      event.id,
      event.type,
      at(2),
    ]);
    await db.query(`UPDATE subscriptions SET status = 'active'`);
    results = await checkInvariants(db, LIMITS, { stripe });
    for (const name of ['Stripe → ours', 'ours → Stripe', 'Stripe events', 'Stripe ↔ ours: subscriptions'])
      expect(check(results, name)).toMatchObject({ examined: 1, violations: [] });

    // an event recorded that Stripe never sent
    await db.query(
      `INSERT INTO stripe_events (id, type, received_at) VALUES ('evt_forged', 'charge.refunded', $1)`,
      [at(3)],
    );
    results = await checkInvariants(db, LIMITS, { stripe });
    expect(check(results, 'Stripe events').violations).toEqual([
      { event: 'evt_forged', type: 'charge.refunded', problem: 'recorded, never sent by Stripe' },
    ]);
  });

  it('holds playlists to exactly the adds the workload was answered for', async () => {
    const [producer, owner] = await users(2);
    for (const id of ['trk_1', 'trk_2', 'trk_3'])
      await db.query(
        `INSERT INTO tracks (id, owner_id, title, bpm, genre, source, external_url, created_at, updated_at)
         VALUES ($1, $2, 'Beat', 90, 'trap', 'external', 'https://example.com/beat', $3, $3)`,
        [id, producer, at(0)],
      );
    await db.query(
      `INSERT INTO playlists (id, owner_id, name, visibility, created_at, updated_at) VALUES ('pls_1', $1, 'Mix', 'public', $2, $2)`,
      [owner, at(0)],
    );
    const add = (track: string, position: string) =>
      db.query(
        `INSERT INTO playlist_tracks (playlist_id, track_id, position, added_by, added_at) VALUES ('pls_1', $1, $2, $3, $4)`,
        [track, position, owner, at(1)],
      );
    await add('trk_1', 'a0');
    await add('trk_3', 'a1');
    const acknowledged = {
      tracks: ['trk_1'],
      messages: [],
      purchases: [],
      // trk_2 answered 201 but is gone; trk_3 was never added
      playlists: [{ id: 'pls_1', added: ['trk_1', 'trk_2'], unsure: [] }],
    };
    let results = await checkInvariants(db, LIMITS, { acknowledged });
    expect(check(results, 'playlists hold exactly').violations).toEqual([
      { playlist: 'pls_1', track: 'trk_2', problem: 'added, gone' },
      { playlist: 'pls_1', track: 'trk_3', problem: 'never added' },
    ]);
    expect(check(results, 'acknowledged writes stored')).toMatchObject({ examined: 1, violations: [] });

    // trk_2 there; trk_3's add got no answer (it may have been made)
    await add('trk_2', 'a2');
    results = await checkInvariants(db, LIMITS, {
      acknowledged: {
        ...acknowledged,
        playlists: [{ id: 'pls_1', added: ['trk_1', 'trk_2'], unsure: ['trk_3'] }],
      },
    });
    expect(check(results, 'playlists hold exactly')).toMatchObject({ examined: 3, violations: [] });
  });
});
