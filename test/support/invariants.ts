import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { StripeFake } from './stripe-fake';

/**
 * The platform's invariants, checked on the database at rest (after a workload, with every job
 * run and every webhook delivered): each query returns the rows that break one rule, so a clean
 * database returns nothing. Used by test/fleet and npm run chaos.
 */

export interface InvariantLimits {
  submissionsPerRequest: number;
  followsPerHour: number;
  messagesPerMinute: number;
}

export interface InvariantResult {
  name: string;
  violations: unknown[];
}

const SQL: { name: string; sql: string; params?: (l: InvariantLimits) => unknown[] }[] = [
  {
    name: 'token balance = ledger sum, 0 ≤ balance ≤ allowance',
    sql: `SELECT b.user_id, b.balance, b.allowance, COALESCE(l.s, 0) AS ledger
          FROM token_balances b
          LEFT JOIN (SELECT user_id, SUM(amount)::int AS s FROM token_ledger GROUP BY user_id) l USING (user_id)
          WHERE b.balance <> COALESCE(l.s, 0) OR b.balance < 0 OR b.balance > b.allowance`,
  },
  {
    name: 'token ledger without a balance row',
    sql: `SELECT DISTINCT user_id FROM token_ledger l
          WHERE NOT EXISTS (SELECT 1 FROM token_balances b WHERE b.user_id = l.user_id)`,
  },
  {
    name: 'submissions per producer per request ≤ limit',
    sql: `SELECT request_id, producer_id, count(*)::int AS n FROM submissions
          GROUP BY request_id, producer_id HAVING count(*) > $1`,
    params: (l) => [l.submissionsPerRequest],
  },
  {
    name: 'at most one exclusive license per track',
    sql: `SELECT track_id, count(*)::int AS n FROM licenses WHERE type = 'exclusive'
          GROUP BY track_id HAVING count(*) > 1`,
  },
  {
    name: 'no sale after an exclusive (a license issued after the exclusive is paid)',
    sql: `SELECT l.id, l.track_id FROM licenses l
          JOIN licenses x ON x.track_id = l.track_id AND x.type = 'exclusive' AND x.id <> l.id
          WHERE l.purchase_id IS NOT NULL AND l.issued_at > x.issued_at AND l.status = 'active'`,
  },
  {
    name: 'no paid purchase without a license or a refund',
    sql: `SELECT p.id, p.status FROM purchases p
          WHERE (p.paid_at IS NOT NULL OR p.status = 'succeeded')
            AND p.status <> 'refunded'
            AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.purchase_id = p.id)`,
  },
  {
    name: 'no purchase left half-done (refunding at rest)',
    sql: `SELECT id FROM purchases WHERE status = 'refunding'`,
  },
  {
    name: 'no license without a payment (plan downloads are free)',
    sql: `SELECT l.id FROM licenses l LEFT JOIN purchases p ON p.id = l.purchase_id
          WHERE (l.purchase_id IS NOT NULL AND (p.paid_at IS NULL OR p.status NOT IN ('succeeded', 'refunded')))
             OR (l.purchase_id IS NULL AND l.price_cents <> 0)`,
  },
  {
    name: 'a refunded purchase holds no active license',
    sql: `SELECT p.id FROM purchases p JOIN licenses l ON l.purchase_id = p.id
          WHERE p.status = 'refunded' AND l.status = 'active'`,
  },
  {
    name: 'one live radio stream per listener',
    sql: `SELECT user_id, count(*)::int AS n FROM radio_sessions WHERE ended_at IS NULL
          GROUP BY user_id HAVING count(*) > 1`,
  },
  {
    name: 'follows per rolling hour ≤ limit',
    sql: `SELECT e.subject, e.at FROM rate_events e
          WHERE e.kind = 'follow' AND (SELECT count(*) FROM rate_events f
            WHERE f.kind = 'follow' AND f.subject = e.subject AND f.at > e.at - interval '1 hour' AND f.at <= e.at) > $1`,
    params: (l) => [l.followsPerHour],
  },
  {
    name: 'messages per rolling minute ≤ limit',
    sql: `SELECT e.subject, e.at FROM rate_events e
          WHERE e.kind = 'message' AND (SELECT count(*) FROM rate_events f
            WHERE f.kind = 'message' AND f.subject = e.subject AND f.at > e.at - interval '1 minute' AND f.at <= e.at) > $1`,
    params: (l) => [l.messagesPerMinute],
  },
  {
    name: 'follow counters = follows',
    sql: `SELECT c.user_id FROM follow_counts c
          WHERE c.following <> (SELECT count(*) FROM follows WHERE follower_id = c.user_id)
             OR c.followers <> (SELECT count(*) FROM follows WHERE followee_id = c.user_id)`,
  },
  {
    name: 'one conversation per pair, two members each',
    sql: `SELECT c.id FROM conversations c
          WHERE c.user_a >= c.user_b OR (SELECT count(*) FROM conversation_members m WHERE m.conversation_id = c.id) <> 2`,
  },
  {
    name: 'no playlist position duplicates',
    sql: `SELECT playlist_id, position FROM playlist_tracks GROUP BY playlist_id, position HAVING count(*) > 1`,
  },
  {
    name: 'every Stripe event applied once',
    sql: `SELECT id FROM stripe_events GROUP BY id HAVING count(*) > 1`,
  },
  {
    name: 'no orphan audio rows (an audio file without a track)',
    sql: `SELECT sha256 FROM audio_files a WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.audio_sha256 = a.sha256)`,
  },
  {
    name: 'no upload without its audio row',
    sql: `SELECT id FROM tracks WHERE source = 'upload' AND (audio_sha256 IS NULL
            OR NOT EXISTS (SELECT 1 FROM audio_files a WHERE a.sha256 = tracks.audio_sha256))`,
  },
  {
    name: 'no processing job lost (every upload ready or failed at rest)',
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

/**
 * Every invariant, in SQL, plus the ones that span systems: Stripe's side (each successful
 * PaymentIntent is a license or exactly one refund; no PaymentIntent refunded twice) and the
 * storage's (each audio row has its object, each object its row).
 */
export async function checkInvariants(
  db: Client,
  limits: InvariantLimits,
  extra: { stripe?: StripeFake; storageDir?: string; listObjects?: () => Promise<string[]> } = {},
): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  for (const check of SQL) {
    const rows = (await db.query(check.sql, check.params?.(limits) ?? [])).rows;
    results.push({ name: check.name, violations: rows });
  }

  if (extra.stripe) {
    const purchases = new Map(
      (
        await db.query<{ pi: string; id: string; status: string; license: string | null }>(
          `SELECT p.stripe_payment_intent_id AS pi, p.id, p.status, l.id AS license
           FROM purchases p LEFT JOIN licenses l ON l.purchase_id = p.id
           WHERE p.stripe_payment_intent_id IS NOT NULL`,
        )
      ).rows.map((r) => [r.pi, r]),
    );
    const charged: unknown[] = [];
    const twice: unknown[] = [];
    for (const [id, pi] of extra.stripe.paymentIntents) {
      const refunds = extra.stripe.refundsFor(id).length;
      if (refunds > 1) twice.push({ payment_intent: id, refunds });
      if (pi.status !== 'succeeded') continue;
      const p = purchases.get(id);
      if (refunds === 0 && !(p?.license && p.status === 'succeeded'))
        charged.push({ payment_intent: id, purchase: p ?? null });
    }
    results.push({ name: 'Stripe: every charge is a license or one refund', violations: charged });
    results.push({ name: 'Stripe: no payment refunded twice', violations: twice });
  }

  const list =
    extra.listObjects ??
    (extra.storageDir ? () => Promise.resolve(localObjects(extra.storageDir!)) : undefined);
  if (list) {
    const objects = new Set(await list());
    const rows = new Set(
      (await db.query<{ sha256: string }>('SELECT sha256 FROM audio_files')).rows.map((r) => r.sha256),
    );
    results.push({
      name: 'storage: every audio row has its object',
      violations: [...rows].filter((s) => !objects.has(s)),
    });
    results.push({
      name: 'storage: no orphan object',
      violations: [...objects].filter((s) => !rows.has(s)),
    });
  }
  return results;
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

export function formatViolations(results: InvariantResult[]): string {
  return results
    .filter((r) => r.violations.length)
    .map((r) => `${r.name}: ${r.violations.length}\n  ${JSON.stringify(r.violations.slice(0, 5))}`)
    .join('\n');
}
