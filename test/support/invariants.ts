import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { StripeFake } from './stripe-fake';

/**
 * The platform's invariants, checked on the database at rest (after a workload, with every job
 * run and every webhook delivered). Each check is a rule that the code keeps, not one a unique
 * index or the Stripe fake already forbids: a query for the rows that break it, and a count of
 * the rows it looked at. A check that looked at nothing proved nothing (`emptyChecks`), so a
 * caller fails on it as on a violation. Used by test/fleet and npm run chaos.
 */

export interface InvariantLimits {
  submissionsPerRequest: number;
  followsPerHour: number;
  messagesPerMinute: number;
  /** LIMIT_FOLLOWING: how many users one user may follow */
  following: number;
}

export interface InvariantResult {
  name: string;
  /** rows (or records of Stripe, the storage, the workload) the rule was evaluated over */
  examined: number;
  violations: unknown[];
}

/** What the workload was told it wrote (answered 2xx), and what it sent without an answer. */
export interface AcknowledgedWrites {
  tracks: string[];
  messages: string[];
  /** purchases whose confirmation answered `succeeded` */
  purchases: string[];
  /** per playlist: tracks whose add was answered 2xx, and those whose add got a 5xx or no answer */
  playlists: { id: string; added: string[]; unsure: string[] }[];
}

interface SqlCheck {
  name: string;
  /** the population the rule is evaluated over: one row, `n` */
  examined: string;
  /** the rows that break the rule */
  sql: string;
  params?: (l: InvariantLimits) => unknown[];
}

const SQL: SqlCheck[] = [
  {
    name: 'token balance = ledger sum, 0 ≤ balance ≤ allowance',
    examined: `SELECT count(*)::int AS n FROM token_balances`,
    sql: `SELECT b.user_id, b.balance, b.allowance, COALESCE(l.s, 0) AS ledger
          FROM token_balances b
          LEFT JOIN (SELECT user_id, SUM(amount)::int AS s FROM token_ledger GROUP BY user_id) l USING (user_id)
          WHERE b.balance <> COALESCE(l.s, 0) OR b.balance < 0 OR b.balance > b.allowance`,
  },
  {
    name: 'token ledger without a balance row',
    examined: `SELECT count(*)::int AS n FROM token_ledger`,
    sql: `SELECT DISTINCT user_id FROM token_ledger l
          WHERE NOT EXISTS (SELECT 1 FROM token_balances b WHERE b.user_id = l.user_id)`,
  },
  {
    name: 'submissions per producer per request ≤ limit',
    examined: `SELECT count(*)::int AS n FROM submissions`,
    sql: `SELECT request_id, producer_id, count(*)::int AS n FROM submissions
          GROUP BY request_id, producer_id HAVING count(*) > $1`,
    params: (l) => [l.submissionsPerRequest],
  },
  {
    name: 'at most one exclusive license per track (active or not)',
    examined: `SELECT count(*)::int AS n FROM licenses WHERE type = 'exclusive'`,
    sql: `SELECT track_id, count(*)::int AS n FROM licenses WHERE type = 'exclusive'
          GROUP BY track_id HAVING count(*) > 1`,
  },
  {
    name: 'no sale after an exclusive (a license issued after the exclusive is paid)',
    examined: `SELECT count(*)::int AS n FROM licenses l
               WHERE l.purchase_id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM licenses x WHERE x.track_id = l.track_id AND x.type = 'exclusive')`,
    sql: `SELECT l.id, l.track_id FROM licenses l
          JOIN licenses x ON x.track_id = l.track_id AND x.type = 'exclusive' AND x.id <> l.id
          WHERE l.purchase_id IS NOT NULL AND l.issued_at > x.issued_at AND l.status = 'active'`,
  },
  {
    name: 'no paid purchase without a license or a refund',
    examined: `SELECT count(*)::int AS n FROM purchases WHERE paid_at IS NOT NULL OR status = 'succeeded'`,
    sql: `SELECT p.id, p.status FROM purchases p
          WHERE (p.paid_at IS NOT NULL OR p.status = 'succeeded')
            AND p.status <> 'refunded'
            AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.purchase_id = p.id)`,
  },
  {
    name: 'no purchase left half-done (refunding at rest)',
    examined: `SELECT count(*)::int AS n FROM purchases`,
    sql: `SELECT id FROM purchases WHERE status = 'refunding'`,
  },
  {
    name: 'no license without a payment (plan downloads are free)',
    examined: `SELECT count(*)::int AS n FROM licenses`,
    sql: `SELECT l.id FROM licenses l LEFT JOIN purchases p ON p.id = l.purchase_id
          WHERE (l.purchase_id IS NOT NULL AND (p.paid_at IS NULL OR p.status NOT IN ('succeeded', 'refunded')))
             OR (l.purchase_id IS NULL AND l.price_cents <> 0)`,
  },
  {
    name: 'a refunded purchase holds no active license',
    examined: `SELECT count(*)::int AS n FROM purchases WHERE status = 'refunded'`,
    sql: `SELECT p.id FROM purchases p JOIN licenses l ON l.purchase_id = p.id
          WHERE p.status = 'refunded' AND l.status = 'active'`,
  },
  {
    // the ledger: each sale whose license was issued in force has its legs, and they add up with
    // the platform's fee to what the buyer paid, to the cent (largest remainder)
    name: 'earnings: legs + fee = amount for every licensed sale',
    examined: `SELECT count(*)::int AS n FROM purchases p JOIN licenses l ON l.purchase_id = p.id
               WHERE l.revoked_at IS DISTINCT FROM l.issued_at`,
    sql: `SELECT p.id, p.amount_cents, p.platform_fee_cents,
                 (SELECT sum(e.amount_cents) FROM earnings_legs e WHERE e.purchase_id = p.id AND e.kind = 'sale') AS legs
          FROM purchases p JOIN licenses l ON l.purchase_id = p.id
          WHERE l.revoked_at IS DISTINCT FROM l.issued_at
            AND p.amount_cents - p.platform_fee_cents
                <> COALESCE((SELECT sum(e.amount_cents) FROM earnings_legs e WHERE e.purchase_id = p.id AND e.kind = 'sale'), 0)`,
  },
  {
    // a transfer moves exactly its legs; a leg is in transit or paid only inside a transfer that
    // is claimed or sent (the legs of a refused one went back)
    name: 'earnings: each transfer is the sum of its legs, each transferred leg in a live transfer',
    examined: `SELECT count(*)::int AS n FROM earnings_legs`,
    sql: `SELECT t.id, t.status::text AS status, t.amount_cents, s.sum FROM transfers t
            LEFT JOIN (SELECT transfer_id, sum(amount_cents)::int AS sum FROM earnings_legs GROUP BY transfer_id) s
              ON s.transfer_id = t.id
          WHERE (t.status IN ('claimed', 'sent') AND t.amount_cents IS DISTINCT FROM s.sum)
             OR (t.status = 'failed' AND s.sum IS NOT NULL)
          UNION ALL
          SELECT e.transfer_id, e.status::text, e.amount_cents, NULL FROM earnings_legs e
            JOIN transfers t ON t.id = e.transfer_id
          WHERE (e.status = 'paid' AND t.status <> 'sent') OR (e.status = 'in_transit' AND t.status <> 'claimed')`,
  },
  {
    // a refunded sale (or a lost dispute) owes nobody: its legs are cancelled, or, transferred,
    // have their reversal claimed (a refused one is owed back by a recovery leg)
    name: 'earnings: a refunded sale owes nothing',
    examined: `SELECT count(*)::int AS n FROM purchases WHERE status = 'refunded'`,
    sql: `SELECT e.id, e.purchase_id, e.status FROM earnings_legs e JOIN purchases p ON p.id = e.purchase_id
          WHERE p.status = 'refunded' AND e.kind = 'sale'
            AND (e.status IN ('held', 'open')
                 OR (e.status = 'paid' AND NOT EXISTS (SELECT 1 FROM reversals r WHERE r.leg_id = e.id))
                 OR EXISTS (SELECT 1 FROM reversals r WHERE r.leg_id = e.id AND r.status = 'refused'
                             AND NOT EXISTS (SELECT 1 FROM earnings_legs x WHERE x.recovers_leg_id = e.id)))`,
  },
  {
    // the counter is kept by the statement that records or ends a play (no constraint ties them):
    // a play counts only once heard 30 s (radio/play-counts.ts), so never more counts than listens,
    // and never fewer than the on-demand listens recorded as counted
    name: 'plays: counted on-demand listens ≤ play count ≤ listens',
    examined: `SELECT count(*)::int AS n FROM listens`,
    sql: `SELECT COALESCE(c.track_id, l.track_id) AS track_id, c.plays, l.n AS listens, l.counted
          FROM track_play_counts c
          FULL JOIN (SELECT track_id, count(*)::int AS n, count(*) FILTER (WHERE counted)::int AS counted
                     FROM listens GROUP BY track_id) l ON l.track_id = c.track_id
          WHERE COALESCE(c.plays, 0) > COALESCE(l.n, 0) OR COALESCE(c.plays, 0) < COALESCE(l.counted, 0)`,
  },
  {
    name: 'radio: every session has its first play, every play is its session listener’s',
    examined: `SELECT count(*)::int AS n FROM radio_sessions`,
    sql: `SELECT s.id, s.user_id, 'no play' AS problem FROM radio_sessions s
          WHERE NOT EXISTS (SELECT 1 FROM listens l WHERE l.session_id = s.id AND l.user_id = s.user_id)
          UNION ALL
          SELECT l.session_id, l.user_id, 'play of another listener' FROM listens l
          JOIN radio_sessions s ON s.id = l.session_id WHERE s.user_id <> l.user_id`,
  },
  {
    // from the follows themselves (created_at is the clock read under the follower's lock): an
    // unfollowed follow is gone, so this count is at most what the budget counted
    name: 'follows per follower per rolling hour ≤ limit (follows table)',
    examined: `SELECT count(*)::int AS n FROM follows`,
    sql: `SELECT f.follower_id, f.created_at, count(*)::int AS in_the_hour_before
          FROM follows f
          JOIN follows g ON g.follower_id = f.follower_id
            AND g.created_at > f.created_at - interval '1 hour' AND g.created_at <= f.created_at
          GROUP BY f.follower_id, f.created_at HAVING count(*) > $1`,
    params: (l) => [l.followsPerHour],
  },
  {
    name: 'follows per follower ≤ LIMIT_FOLLOWING (follows table)',
    examined: `SELECT count(DISTINCT follower_id)::int AS n FROM follows`,
    sql: `SELECT follower_id, count(*)::int AS n FROM follows GROUP BY follower_id HAVING count(*) > $1`,
    params: (l) => [l.following],
  },
  {
    name: 'messages per sender per rolling minute ≤ limit (messages table)',
    examined: `SELECT count(*)::int AS n FROM messages`,
    sql: `SELECT m.sender_id, m.created_at, count(*)::int AS in_the_minute_before
          FROM messages m
          JOIN messages o ON o.sender_id = m.sender_id
            AND o.created_at > m.created_at - interval '1 minute' AND o.created_at <= m.created_at
          GROUP BY m.sender_id, m.id, m.created_at HAVING count(*) > $1`,
    params: (l) => [l.messagesPerMinute],
  },
  {
    // every user, with or without a counter row (a missing row is a count of 0)
    name: 'follow counters = follows',
    examined: `SELECT count(*)::int AS n FROM users`,
    sql: `SELECT u.id, c.following, c.followers FROM users u LEFT JOIN follow_counts c ON c.user_id = u.id
          WHERE COALESCE(c.following, 0) <> (SELECT count(*) FROM follows WHERE follower_id = u.id)
             OR COALESCE(c.followers, 0) <> (SELECT count(*) FROM follows WHERE followee_id = u.id)`,
  },
  {
    name: 'one conversation per pair, two members each',
    examined: `SELECT count(*)::int AS n FROM conversations`,
    sql: `SELECT c.id FROM conversations c
          WHERE c.user_a >= c.user_b OR (SELECT count(*) FROM conversation_members m WHERE m.conversation_id = c.id) <> 2`,
  },
  {
    name: 'no orphan audio rows (an audio file without a track)',
    examined: `SELECT count(*)::int AS n FROM audio_files`,
    sql: `SELECT sha256 FROM audio_files a WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.audio_sha256 = a.sha256)`,
  },
  {
    name: 'no upload without its audio row',
    examined: `SELECT count(*)::int AS n FROM tracks WHERE source = 'upload'`,
    sql: `SELECT id FROM tracks WHERE source = 'upload' AND (audio_sha256 IS NULL
            OR NOT EXISTS (SELECT 1 FROM audio_files a WHERE a.sha256 = tracks.audio_sha256))`,
  },
  {
    name: 'no processing job lost (every upload ready or failed at rest)',
    examined: `SELECT count(*)::int AS n FROM tracks`,
    // with each violation, its jobs' state and job time, to tell a lost job from one not yet due
    sql: `SELECT t.id, t.processing_status, t.created_at, t.updated_at, now() AS db_now,
                 (SELECT offset_ms FROM pgboss.app_clock) AS job_clock_offset_ms,
                 (SELECT json_agg(json_build_object('state', j.state, 'retry_count', j.retry_count,
                         'created_on', j.created_on, 'output', j.output, 'start_after', j.start_after, 'started_on', j.started_on))
                  FROM pgboss.job j WHERE j.name IN ('track.process', 'track.process.dead')
                    AND j.data->>'trackId' = t.id) AS jobs
          FROM tracks t WHERE t.processing_status IN ('pending', 'processing')`,
  },
];

type Obj = Record<string, unknown>;

/**
 * Every invariant: the SQL ones, Stripe's side against ours (payments, refunds, events,
 * subscriptions), the storage's (each audio row has its object, each object its row), and what
 * the workload was told it wrote.
 */
export async function checkInvariants(
  db: Client,
  limits: InvariantLimits,
  extra: {
    stripe?: StripeFake;
    storageDir?: string;
    listObjects?: () => Promise<string[]>;
    acknowledged?: AcknowledgedWrites;
  } = {},
): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  for (const check of SQL) {
    const params = check.params?.(limits) ?? [];
    const [examined, rows] = [
      (await db.query<{ n: number }>(check.examined)).rows[0].n,
      (await db.query(check.sql, params)).rows,
    ];
    results.push({ name: check.name, examined, violations: rows });
  }
  if (extra.stripe) results.push(...(await stripeChecks(db, extra.stripe)));
  if (extra.acknowledged) results.push(...(await acknowledgedChecks(db, extra.acknowledged)));

  const list =
    extra.listObjects ??
    (extra.storageDir ? () => Promise.resolve(localObjects(extra.storageDir!)) : undefined);
  if (list) {
    const objects = new Set(await list());
    // every row that references a stored object: originals, stream renditions, voice tags
    const rows = new Set(
      (
        await db.query<{ sha256: string }>(
          `SELECT sha256 FROM audio_files UNION SELECT sha256 FROM track_renditions UNION SELECT sha256 FROM voice_tags`,
        )
      ).rows.map((r) => r.sha256),
    );
    results.push({
      name: 'storage: every audio row (original, rendition, voice tag) has its object',
      examined: rows.size,
      violations: [...rows].filter((s) => !objects.has(s)),
    });
    // an object without a row is an upload that died between writing it and committing its rows
    // (an instance killed mid-upload): its pin stays until it expires and the collect job queued
    // with the pin removes the object then. Awaiting that is no orphan; an object without a row,
    // a live pin and a queued collect job is one (nothing would ever remove it).
    const awaited = new Set(
      (
        await db.query<{ sha256: string }>(
          `SELECT w.sha256 FROM storage_writes w
            WHERE EXISTS (SELECT 1 FROM pgboss.job j
                           WHERE j.name = 'storage.collect' AND j.data->>'sha256' = w.sha256
                             AND j.state IN ('created', 'retry'))`,
        )
      ).rows.map((r) => r.sha256),
    );
    results.push({
      name: 'storage: no orphan object (a crashed upload’s awaits its pin’s collect job)',
      examined: objects.size,
      violations: [...objects].filter((s) => !rows.has(s) && !awaited.has(s)),
    });
  }
  return results;
}

/** Stripe's records (the fake's) against ours, both ways. */
async function stripeChecks(db: Client, stripe: StripeFake): Promise<InvariantResult[]> {
  const purchases = (
    await db.query<{
      id: string;
      pi: string;
      status: string;
      amount_cents: number;
      currency: string;
      paid: boolean;
      refunded: boolean;
      license: string | null;
      license_status: string | null;
      lost: boolean | null;
    }>(
      `SELECT p.id, p.stripe_payment_intent_id AS pi, p.status, p.amount_cents, p.currency,
              p.paid_at IS NOT NULL AS paid, p.refunded_at IS NOT NULL AS refunded,
              p.dispute_outcome = 'lost' AS lost,
              l.id AS license, l.status AS license_status
       FROM purchases p LEFT JOIN licenses l ON l.purchase_id = p.id
       WHERE p.stripe_payment_intent_id IS NOT NULL`,
    )
  ).rows;
  const byIntent = new Map(purchases.map((p) => [p.pi, p]));

  // Stripe → ours: each payment Stripe took is a purchase of ours for its amount, paid, and
  // either fulfilled (an active license) or refunded exactly once (refunded here, no license in force)
  const charges: unknown[] = [];
  let succeeded = 0;
  for (const [id, pi] of stripe.paymentIntents) {
    if (pi.status !== 'succeeded') continue;
    succeeded++;
    const p = byIntent.get(id);
    const refunds = stripe.refundsFor(id);
    const problem = !p
      ? 'no purchase of ours'
      : p.amount_cents !== pi.amount || p.currency !== pi.currency
        ? `charged ${String(pi.amount)} ${String(pi.currency)}, purchase of ${p.amount_cents} ${p.currency}`
        : !p.paid
          ? 'not recorded as paid'
          : refunds.length > 1
            ? `refunded ${refunds.length} times`
            : refunds.length === 0 &&
                !(p.status === 'succeeded' && p.license_status === 'active') &&
                !(p.lost && p.status === 'refunded' && p.license_status !== 'active')
              ? 'kept, but no license in force'
              : refunds.length === 1 &&
                  !(p.status === 'refunded' && p.refunded && p.license_status !== 'active')
                ? 'refunded at Stripe, not here'
                : refunds.length === 1 && refunds[0].amount !== pi.amount
                  ? `refund of ${String(refunds[0].amount)} for ${String(pi.amount)}`
                  : null;
    if (problem) charges.push({ payment_intent: id, problem, purchase: p ?? null, refunds: refunds.length });
  }

  // ours → Stripe: each purchase we hold as paid is a payment Stripe took, and each we hold as
  // refunded is one Stripe refunded (once)
  const paid: unknown[] = [];
  const held = purchases.filter((p) => p.paid || ['succeeded', 'refunding', 'refunded'].includes(p.status));
  for (const p of held) {
    const pi = stripe.paymentIntents.get(p.pi);
    const refunds = stripe.refundsFor(p.pi).length;
    const problem =
      pi?.status !== 'succeeded'
        ? `paid here, ${pi ? String(pi.status) : 'unknown'} at Stripe`
        : (p.status === 'refunded' || p.refunded) && refunds !== (p.lost && !p.refunded ? 0 : 1)
          ? `refunded here, ${refunds} refunds at Stripe`
          : p.status === 'succeeded' && refunds > 0
            ? 'refunded at Stripe, succeeded here'
            : null;
    if (problem) paid.push({ purchase: p.id, payment_intent: p.pi, status: p.status, problem });
  }

  // events: each one Stripe sent took effect (its row is written with its effect), with its type,
  // and nothing was recorded that Stripe did not send
  const recorded = new Map(
    (await db.query<{ id: string; type: string }>('SELECT id, type FROM stripe_events')).rows.map((r) => [
      r.id,
      r.type,
    ]),
  );
  const sent = new Map(stripe.events.map((e) => [e.id, e.type]));
  const events: unknown[] = [
    ...[...sent]
      .filter(([id, type]) => recorded.get(id) !== type)
      .map(([id, type]) => ({ event: id, type, recorded: recorded.get(id) ?? null })),
    ...[...recorded]
      .filter(([id]) => !sent.has(id))
      .map(([id, type]) => ({ event: id, type, problem: 'recorded, never sent by Stripe' })),
  ];

  // subscriptions: ours are Stripe's (status, price, cancel at period end), both ways, and a user
  // whose current subscription is active is on its plan
  const plans = new Map(
    (
      await db.query<{ id: string; price: string }>(
        'SELECT id, stripe_price_id AS price FROM plans WHERE stripe_price_id IS NOT NULL',
      )
    ).rows.map((r) => [r.price, r.id]),
  );
  const ours = new Map(
    (
      await db.query<{
        sid: string;
        status: string;
        plan_id: string;
        cancel_at_period_end: boolean;
        current: boolean;
        user_plan: string;
      }>(
        `SELECT s.stripe_subscription_id AS sid, s.status, s.plan_id, s.cancel_at_period_end,
                u.current_subscription_id = s.id AS current, u.plan_id AS user_plan
         FROM subscriptions s JOIN users u ON u.id = s.user_id`,
      )
    ).rows.map((r) => [r.sid, r]),
  );
  const subscriptions: unknown[] = [];
  for (const [id, sub] of stripe.subscriptions) {
    const row = ours.get(id);
    const price = ((sub.items as { data: Obj[] }).data[0]?.price as Obj | undefined)?.id as string;
    const problem = !row
      ? 'not ours'
      : row.status !== sub.status
        ? `${row.status} here, ${String(sub.status)} at Stripe`
        : row.plan_id !== plans.get(price)
          ? `plan ${row.plan_id} here, price ${price} at Stripe`
          : row.cancel_at_period_end !== (sub.cancel_at_period_end === true)
            ? `cancel_at_period_end ${row.cancel_at_period_end} here, ${String(sub.cancel_at_period_end)} at Stripe`
            : row.current && row.status === 'active' && row.user_plan !== row.plan_id
              ? `the user is on ${row.user_plan}, their subscription on ${row.plan_id}`
              : null;
    if (problem) subscriptions.push({ subscription: id, problem });
  }
  for (const sid of ours.keys())
    if (!stripe.subscriptions.has(sid))
      subscriptions.push({ subscription: sid, problem: 'unknown to Stripe' });

  // transfers: each one Stripe made is a sent transfer of ours (same amount, same account), each
  // sent one of ours is one Stripe made; so per account Stripe's sum is the ledger's. Reversals
  // likewise: each Stripe made is a reversal of ours recorded as made, for its amount.
  const ourTransfers = (
    await db.query<{ id: string; stripe_id: string | null; account: string; amount: number; status: string }>(
      `SELECT id, stripe_transfer_id AS stripe_id, stripe_account_id AS account, amount_cents AS amount, status::text
       FROM transfers`,
    )
  ).rows;
  const byStripeId = new Map(ourTransfers.filter((t) => t.stripe_id).map((t) => [t.stripe_id!, t]));
  const transfers: unknown[] = [];
  for (const [tid, tr] of stripe.transfers) {
    const ours = byStripeId.get(tid);
    const problem = !ours
      ? 'made at Stripe, not recorded (or recorded twice elsewhere)'
      : ours.status !== 'sent'
        ? `${ours.status} here`
        : ours.amount !== tr.amount || ours.account !== tr.destination
          ? `${String(tr.amount)} to ${String(tr.destination)} at Stripe, ${ours.amount} to ${ours.account} here`
          : null;
    if (problem) transfers.push({ transfer: tid, problem });
  }
  for (const t of ourTransfers)
    if (t.status === 'sent' && !stripe.transfers.has(t.stripe_id ?? ''))
      transfers.push({ transfer: t.id, problem: 'sent here, unknown to Stripe' });
  const ourReversals = new Map(
    (
      await db.query<{ stripe_id: string; amount: number; status: string }>(
        `SELECT stripe_reversal_id AS stripe_id, amount_cents AS amount, status::text FROM reversals
         WHERE stripe_reversal_id IS NOT NULL`,
      )
    ).rows.map((r) => [r.stripe_id, r]),
  );
  for (const rev of stripe.reversals) {
    const ours = ourReversals.get(String(rev.id));
    if (!ours || ours.status !== 'reversed' || ours.amount !== rev.amount)
      transfers.push({
        reversal: rev.id,
        problem: ours ? `${ours.status} ${ours.amount} here` : 'not recorded',
      });
  }
  if (ourReversals.size !== stripe.reversals.length)
    transfers.push({
      problem: `${ourReversals.size} reversals made here, ${stripe.reversals.length} at Stripe`,
    });

  return [
    {
      name: 'Stripe ↔ ours: transfers and reversals (each made once, same amount and account)',
      examined: stripe.transfers.size + ourTransfers.length,
      violations: transfers,
    },
    {
      name: 'Stripe → ours: each payment is a paid purchase, fulfilled or refunded once',
      examined: succeeded,
      violations: charges,
    },
    {
      name: 'ours → Stripe: each paid purchase is a payment, each refunded one a refund',
      examined: held.length,
      violations: paid,
    },
    {
      name: 'Stripe events: each one sent is recorded with its type; none recorded unsent',
      examined: sent.size,
      violations: events,
    },
    {
      name: 'Stripe ↔ ours: subscriptions (status, plan, cancel at period end)',
      examined: stripe.subscriptions.size,
      violations: subscriptions,
    },
  ];
}

/** What the workload was answered 2xx for is stored; playlists hold exactly their acknowledged adds. */
async function acknowledgedChecks(db: Client, ack: AcknowledgedWrites): Promise<InvariantResult[]> {
  const missing = async (ids: string[], sql: string) =>
    (await db.query<{ id: string }>(sql, [ids])).rows.map((r) => r.id);
  const lost = [
    ...(await missing(ack.tracks, 'SELECT id FROM unnest($1::text[]) id EXCEPT SELECT id FROM tracks')).map(
      (id) => ({ track: id }),
    ),
    ...(
      await missing(ack.messages, 'SELECT id FROM unnest($1::text[]) id EXCEPT SELECT id FROM messages')
    ).map((id) => ({ message: id })),
    ...(
      await missing(
        ack.purchases,
        `SELECT id FROM unnest($1::text[]) id
         EXCEPT SELECT p.id FROM purchases p JOIN licenses l ON l.purchase_id = p.id WHERE p.paid_at IS NOT NULL`,
      )
    ).map((id) => ({ purchase: id, problem: 'answered succeeded, no paid purchase with a license' })),
  ];

  const rows = (
    await db.query<{ playlist_id: string; track_id: string }>(
      'SELECT playlist_id, track_id FROM playlist_tracks WHERE playlist_id = ANY($1::text[])',
      [ack.playlists.map((p) => p.id)],
    )
  ).rows;
  const stored = new Map<string, Set<string>>();
  for (const r of rows)
    (stored.get(r.playlist_id) ?? stored.set(r.playlist_id, new Set()).get(r.playlist_id)!).add(r.track_id);
  const playlists: unknown[] = [];
  let examined = 0;
  for (const p of ack.playlists) {
    const have = stored.get(p.id) ?? new Set<string>();
    const known = new Set([...p.added, ...p.unsure]);
    examined += new Set([...have, ...p.added]).size;
    for (const t of p.added)
      if (!have.has(t)) playlists.push({ playlist: p.id, track: t, problem: 'added, gone' });
    for (const t of have)
      if (!known.has(t)) playlists.push({ playlist: p.id, track: t, problem: 'never added' });
  }
  return [
    {
      name: 'acknowledged writes stored (uploads, messages, paid purchases)',
      examined: ack.tracks.length + ack.messages.length + ack.purchases.length,
      violations: lost,
    },
    {
      name: 'playlists hold exactly their acknowledged adds',
      examined,
      violations: playlists,
    },
  ];
}

/** The sha256 names under the local driver's objects/ab/cd/<sha256>. */
export function localObjects(storageDir: string): string[] {
  const root = join(storageDir, 'objects');
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (depth < 2) walk(join(dir, name), depth + 1);
      else out.push(name);
    }
  };
  walk(root, 0);
  return out;
}

export function violationCount(results: InvariantResult[]): number {
  return results.reduce((s, r) => s + r.violations.length, 0);
}

/** The checks that looked at nothing: they proved nothing, and fail a run like a violation. */
export function emptyChecks(results: InvariantResult[]): string[] {
  return results.filter((r) => r.examined === 0).map((r) => r.name);
}

/** One line per check: its verdict, the rows it examined, its violations. */
export function formatChecks(results: InvariantResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => {
      const verdict = r.violations.length ? 'FAIL' : r.examined === 0 ? 'EMPTY' : 'ok';
      return `check ${verdict.padEnd(5)} ${r.name.padEnd(width)}  examined ${String(r.examined).padStart(6)}  violations ${r.violations.length}`;
    })
    .join('\n');
}

export function formatViolations(results: InvariantResult[]): string {
  return results
    .filter((r) => r.violations.length)
    .map((r) => `${r.name}: ${r.violations.length}\n  ${JSON.stringify(r.violations.slice(0, 5))}`)
    .join('\n');
}
