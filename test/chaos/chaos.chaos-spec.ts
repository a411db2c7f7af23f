import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../../src/platform/database/migrations';
import { Fleet, FLEET_LIMITS, FleetInstance, fleetEnv, freePort, sleep } from '../support/fleet';
import {
  checkInvariants,
  emptyChecks,
  formatChecks,
  InvariantResult,
  violationCount,
} from '../support/invariants';
import { SmtpSink } from '../support/smtp-sink';
import { StripeFake, StripeFault } from '../support/stripe-fake';
import { Api, OpStats, seededRandom, ServerError, Workload } from '../support/workload';
import { ControlledPostgres, ControlledRedis } from './services';

/**
 * `npm run chaos`: two instances of the current source (separate processes, npm start's path) on
 * one PostgreSQL and one Redis that this harness owns, with the Stripe-compatible server and an
 * SMTP sink; a mixed workload for CHAOS_SECONDS while faults strike at moments drawn from
 * CHAOS_SEED (the same seed replays the same schedule of faults and each worker's requests).
 * At the end: every invariant in the database, a table, and a JSON file under .data/chaos/.
 * Fails on any violation, any check that examined no rows, any operation kind of the workload
 * that succeeded less often than its share (`CHAOS_MIN_SHARE`), any 5xx (or cut connection)
 * outside the faults that excuse it, any fault kind left out, and any instance that crashed.
 */

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 600);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 3);
const LIMITS = FLEET_LIMITS;

type FaultKind =
  | 'postgres-restart'
  | 'redis-down'
  | 'stripe-500'
  | 'stripe-hang'
  | 'stripe-drop'
  | 'instance-kill'
  | 'clock-month'
  | 'clock-hour';
const KINDS: FaultKind[] = [
  'postgres-restart',
  'redis-down',
  'stripe-500',
  'stripe-hang',
  'stripe-drop',
  'instance-kill',
  'clock-month',
  'clock-hour',
];

/**
 * The 5xx answers (status and code; status 0: the connection cut) that a fault of each kind
 * excuses, for a request that overlaps the fault or its recovery (sent before both instances
 * answered /health 200 again, answered after the fault began). Nothing else is excused: Redis
 * down degrades budgets to per-instance counters and fails no request, a hanging Stripe is
 * answered within the request deadline (STRIPE_TIMEOUT_MS × retries), never 504 request_timeout,
 * and moving the clock fails nothing.
 */
const EXCUSES: Record<FaultKind, { status: number; code?: string; note?: string }[]> = {
  'postgres-restart': [{ status: 503, code: 'service_unavailable' }],
  'redis-down': [],
  'stripe-500': [
    { status: 500, code: 'payment_processing_error' },
    { status: 502, code: 'payment_initialization_failed' },
  ],
  'stripe-hang': [
    { status: 500, code: 'payment_processing_error' },
    { status: 502, code: 'payment_initialization_failed' },
  ],
  'stripe-drop': [
    { status: 500, code: 'payment_processing_error' },
    { status: 502, code: 'payment_initialization_failed' },
  ],
  'instance-kill': [{ status: 0, note: 'a request in flight to the killed instance' }],
  'clock-month': [],
  'clock-hour': [],
};

const excuses = (fault: Fault, e: ServerError): boolean =>
  fault.startedAt !== undefined &&
  fault.recoveredAt !== undefined &&
  e.answeredAt >= fault.startedAt &&
  e.sentAt <= fault.recoveredAt &&
  EXCUSES[fault.kind].some(
    (x) => x.status === e.status && (x.status === 0 ? e.instance === fault.detail : x.code === e.code),
  );

/**
 * The least share of each kind of operation that must be answered 2xx, of those that got an
 * answer below 500 (a 5xx or a cut connection is judged on its own: excused by a fault or
 * failing the run). Most kinds must mostly succeed; where the workload provokes a rule's refusal
 * on purpose, the floor is what the rule leaves (beside each). Every kind here must have been
 * tried. `CHAOS_MIN_SHARE` overrides: `0.4` (every kind), `follow=0.01,message=0.2` (those), or
 * both (`0.4,follow=0.01`).
 */
const DEFAULT_SHARE = 0.5;
const KIND_SHARES: Record<string, number> = {
  upload: DEFAULT_SHARE,
  'track.read': DEFAULT_SHARE,
  'track.offers': DEFAULT_SHARE,
  download: DEFAULT_SHARE,
  'purchase.create': DEFAULT_SHARE,
  // 10% of cards are declined (402)
  'purchase.confirm': DEFAULT_SHARE,
  'exclusive.create': DEFAULT_SHARE,
  // the race's loser is answered too (200, refunded later); declined cards
  'exclusive.confirm': DEFAULT_SHARE,
  webhook: DEFAULT_SHARE,
  // an artist has 5 request tokens a month (pro plan): refused (no_tokens_remaining) until the
  // clock's month turns or a deleted request gives its token back
  'request.create': 0.2,
  'request.delete': DEFAULT_SHARE,
  // LIMIT+2 at once to each request: 2 of 7 refused by the limit, more once requests expire
  submission: 0.2,
  // everyone not yet followed, at once, against 6 an hour and a cap of 10: most are refused,
  // the more so the faster the machine (the budget is per hour of the clock)
  follow: 0.01,
  unfollow: DEFAULT_SHARE,
  // six at once against 4 a minute, again and again: same
  message: 0.01,
  'playlist.create': DEFAULT_SHARE,
  'playlist.add': DEFAULT_SHARE,
  'playlist.move': DEFAULT_SHARE,
  // two devices at once: one stream lives
  'radio.start': 0.3,
  'radio.stop': DEFAULT_SHARE,
  // one change at a time per account, none to the plan one has: refused while one is pending
  'subscription.change': 0.2,
  // a buyer without a subscription is refused
  'subscription.cancel': 0.1,
};

/**
 * The refusals the workload provokes on purpose: each must have been met at least once, or the
 * workload never reached the rule it is there to race.
 */
const PROVOKED: Record<string, string> = {
  follow: 'follow_rate_limited',
  message: 'message_rate_limited',
  submission: 'submission_limit_reached',
  'radio.start': 'concurrent_stream_limit',
};

interface Fault {
  kind: FaultKind;
  /** seconds after the workload began, drawn from the seed */
  at: number;
  startedAt?: number;
  liftedAt?: number;
  recoveredAt?: number;
  detail?: string;
}

/** The schedule: each kind ⌈SECONDS/200⌉ times (≥ 1; 3 in ten minutes), shuffled, spread out. */
function schedule(rng: () => number): Fault[] {
  const per = Math.max(1, Math.ceil(SECONDS / 200));
  const kinds = KINDS.flatMap((k) => Array.from({ length: per }, () => k));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const from = SECONDS * 0.1;
  const slot = (SECONDS * 0.75) / kinds.length;
  return kinds.map((kind, i) => ({ kind, at: Math.round((from + slot * (i + rng() * 0.8)) * 10) / 10 }));
}

const out = (line = '') => process.stdout.write(`${line}\n`);

/** CHAOS_MIN_SHARE: `0.4`, `follow=0.01,message=0.2`, or both (`0.4,follow=0.01`). */
function minShares(spec = ''): { of: (kind: string) => number } {
  let all: number | undefined;
  const per: Record<string, number> = {};
  for (const part of spec
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [k, v] = part.includes('=') ? part.split('=') : [undefined, part];
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new Error(`CHAOS_MIN_SHARE: ${part} is not a share between 0 and 1`);
    if (k === undefined) all = n;
    else per[k.trim()] = n;
  }
  return { of: (kind) => per[kind] ?? all ?? KIND_SHARES[kind] ?? DEFAULT_SHARE };
}

describe('chaos', () => {
  it(`keeps every invariant while the world breaks (CHAOS_SECONDS=${SECONDS}, CHAOS_SEED=${SEED})`, async () => {
    out(`\nchaos: CHAOS_SEED=${SEED} CHAOS_SECONDS=${SECONDS} workers=${WORKERS}`);
    const root = projectRoot();
    const dir = join(root, '.data', 'chaos', `run-${SEED}-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });

    const faults = schedule(seededRandom(SEED ^ 0x5bd1e995));
    out(`schedule: ${faults.map((f) => `${f.at}s ${f.kind}`).join(', ')}`);

    const postgres = new ControlledPostgres(join(dir, 'postgres'), await freePort());
    const redis = new ControlledRedis(await freePort());
    const mail = new SmtpSink();
    const stripe = new StripeFake();
    let fleet: Fleet | undefined;
    let db: Client | undefined;
    const storageDir = join(dir, 'storage');
    try {
      const [databaseUrl, , smtpUrl, stripeUrl] = await Promise.all([
        postgres.start(),
        redis.start(),
        mail.start(),
        stripe.start(),
      ]);
      fleet = await Fleet.start({
        size: 2,
        label: `chaos-${SEED}`,
        env: {
          ...fleetEnv(stripe, stripeUrl),
          DATABASE_URL: databaseUrl,
          REDIS_URL: redis.url,
          SMTP_URL: smtpUrl,
          STORAGE_DIR: storageDir,
          // pg-boss workers run by themselves: a killed instance's jobs must be picked up
          JOBS_AUTORUN: '1',
          JOBS_SUPERVISE_SECONDS: '5',
          LIMIT_PROCESSING_TIMEOUT_SECONDS: '30',
        },
        envOf: (i) => ({ DATA_DIR: join(dir, `data-${i}`) }),
      });
      const f = fleet;
      out(`fleet: 2 instances ready in ${f.build.bootMs} ms (build ${f.build.ms} ms); logs in ${f.logDir}`);

      // a load balancer's view: only running instances get requests
      const api = new Api(() => f.instances.filter((i) => i.ready), 45_000);
      const base = new Workload({
        api,
        mail,
        stripe,
        rng: seededRandom(SEED),
        admin: { email: 'admin@test.local', password: 'admin-password-1' },
        submissionLimit: LIMITS.submissionsPerRequest,
        retryMs: 60_000,
      });
      await base.setup();
      for (const a of base.artists) await base.createRequest(a);
      await base.tour();

      // ---- the run: workers and faults side by side ----------------------------------------
      const began = Date.now();
      const stopAt = began + SECONDS * 1000;
      let stopping = false;
      const workers = Array.from({ length: WORKERS }, async (_, k) => {
        const w = base.fork(seededRandom(SEED + 7919 * (k + 1)));
        while (!stopping && Date.now() < stopAt) {
          await w.step().catch((err: Error) => out(`worker ${k}: ${err.message}`));
        }
      });

      // an instance that does not come back by itself within this is a finding, not a wait
      const RECOVERY_LIMIT_MS = 60_000;
      const waitHealthy = async (): Promise<number | undefined> => {
        const deadline = Date.now() + RECOVERY_LIMIT_MS;
        while (Date.now() < deadline) {
          // an instance that exited by itself will not answer: say so now
          const crashes = f.crashes();
          if (crashes.length) throw new Error(`an instance crashed:\n${crashes.join('\n')}`);
          if (await f.allHealthy()) return Date.now();
          await sleep(100);
        }
        return undefined;
      };
      const clockNow = async () => {
        const i = f.instances.find((x) => x.running)!;
        return Date.parse(
          ((await i.http.get('/api/v1/__test/clock').expect(200)).body as { now: string }).now,
        );
      };
      const rng = seededRandom(SEED ^ 0x2545f491);
      const inject = async (fault: Fault): Promise<void> => {
        fault.startedAt = Date.now();
        switch (fault.kind) {
          case 'postgres-restart': {
            await postgres.stopServer();
            await sleep(1000 + rng() * 2000);
            await postgres.startServer();
            break;
          }
          case 'redis-down': {
            await redis.stop();
            await sleep(10_000);
            await redis.start();
            break;
          }
          case 'stripe-500':
          case 'stripe-hang':
          case 'stripe-drop': {
            const mode = fault.kind.slice(7) as StripeFault;
            stripe.setFault(mode);
            // a hang lasts past the client's timeout (15 s)
            await sleep(mode === 'hang' ? 20_000 : 5_000 + rng() * 5_000);
            stripe.setFault(undefined);
            break;
          }
          case 'instance-kill': {
            const victim: FleetInstance = f.at(Math.floor(rng() * f.instances.length));
            fault.detail = victim.name;
            // mid-request: an upload streaming and a purchase being created and confirmed on it
            // (a slow upload; purchases whose Stripe calls answer slowly)
            stripe.latencyMs = 1500;
            const inflight = [
              base.uploadSlowly(base.producers[1], victim, 3000),
              base.purchase('basic', base.buyers[0], victim),
              base.purchase('premium', base.buyers[1], victim),
            ];
            await sleep(800 + rng() * 1000);
            await victim.kill();
            stripe.latencyMs = 0;
            await Promise.all(inflight);
            await sleep(500 + rng() * 1500);
            await victim.start();
            await f.syncClock(victim);
            break;
          }
          case 'clock-month': {
            const now = new Date(await clockNow());
            const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 0, 1);
            const seconds = Math.ceil((next - now.getTime()) / 1000);
            fault.detail = `+${seconds}s to ${new Date(next).toISOString().slice(0, 7)}`;
            await f.advanceClock(seconds);
            break;
          }
          case 'clock-hour': {
            fault.detail = '+3600s';
            await f.advanceClock(3600);
            break;
          }
        }
        fault.liftedAt = Date.now();
        fault.recoveredAt = await waitHealthy();
        if (fault.recoveredAt === undefined) {
          const sick = f.instances.filter((i) => i.running).map((i) => i.name);
          throw new Error(
            `${fault.kind} at ${((fault.startedAt - began) / 1000).toFixed(1)}s: not every instance answers /health 200 ` +
              `${RECOVERY_LIMIT_MS / 1000} s after the fault was lifted (running: ${sick.join(', ')}):\n${f.logTail(15)}`,
          );
        }
        out(
          `${((fault.startedAt - began) / 1000).toFixed(1)}s ${fault.kind}${fault.detail ? ` (${fault.detail})` : ''}: ` +
            `${fault.liftedAt - fault.startedAt} ms, recovered in ${fault.recoveredAt - fault.liftedAt} ms`,
        );
      };
      const faultRunner = (async () => {
        for (const fault of faults) {
          const due = began + fault.at * 1000;
          if (Date.now() < due) await sleep(due - Date.now());
          await inject(fault);
        }
      })();
      await faultRunner.catch((err: Error) => {
        stopping = true;
        throw err;
      });
      await Promise.race([Promise.all(workers), sleep(Math.max(0, stopAt - Date.now()))]);
      stopping = true;
      await Promise.all(workers);
      const ranMs = Date.now() - began;

      // ---- at rest: every instance up, every webhook delivered, every job run --------------
      if ((await waitHealthy()) === undefined)
        throw new Error(`instances unhealthy at rest:\n${f.logTail(15)}`);
      for (const i of f.instances) await f.syncClock(i);
      await base.settle();
      const deadline = Date.now() + 180_000;
      for (;;) {
        await base.drain(f.at(0));
        await base.drain(f.at(1));
        const left = new Client({ connectionString: databaseUrl });
        await left.connect();
        const pending = (
          await left.query<{ n: number }>(
            `SELECT (SELECT count(*) FROM tracks WHERE processing_status IN ('pending', 'processing'))
                  + (SELECT count(*) FROM purchases WHERE status = 'refunding')
                  -- money on its way: a transfer or a reversal whose job retries after a fault
                  + (SELECT count(*) FROM transfers WHERE status = 'claimed')
                  + (SELECT count(*) FROM reversals WHERE status = 'claimed') AS n`,
          )
        ).rows[0].n;
        await left.end();
        if ((Number(pending) === 0 && base.undeliveredEvents() === 0) || Date.now() > deadline) break;
        await base.deliverWebhooks();
        await sleep(2000);
      }

      db = new Client({ connectionString: databaseUrl });
      await db.connect();
      const results: InvariantResult[] = await checkInvariants(db, LIMITS, {
        stripe,
        storageDir,
        acknowledged: base.acknowledged,
      });
      const violations = violationCount(results);
      const empty = emptyChecks(results);

      // ---- the workload did its work: each kind of operation succeeded its share -----------
      const shares = minShares(process.env.CHAOS_MIN_SHARE);
      const kinds = [...new Set([...Object.keys(KIND_SHARES), ...base.counts.keys()])].sort();
      const operations = kinds.map((kind) => {
        const c: OpStats = base.counts.get(kind) ?? { ok: 0, refused: 0, failed: 0, answers: {} };
        const attempts = c.ok + c.refused;
        const answered = attempts - c.failed;
        const min = shares.of(kind);
        const provoked = PROVOKED[kind];
        const met = !provoked || Object.keys(c.answers).some((a) => a.endsWith(` ${provoked}`));
        return {
          kind,
          attempts,
          answered,
          ok: c.ok,
          share: answered ? c.ok / answered : 0,
          min,
          provoked,
          met,
          answers: c.answers,
        };
      });
      const idle = operations.filter((o) => o.ok === 0 || o.share < o.min || !o.met);

      // ---- 5xx: excused by a fault whose window they overlap, or not ------------------------
      // setup's included: no fault excuses it
      const during = api.failures;
      const unexplained = during.filter((e) => !faults.some((fl) => excuses(fl, e)));
      const inWindows = during.length - unexplained.length;
      const explainedBy: Record<string, Record<string, number>> = {};
      for (const e of during.filter((x) => !unexplained.includes(x))) {
        const fl = faults.find((x) => excuses(x, e))!;
        const key = `${e.status === 0 ? 'connection cut' : e.status} ${e.code ?? ''}`.trim();
        (explainedBy[fl.kind] ??= {})[key] = (explainedBy[fl.kind]?.[key] ?? 0) + 1;
      }
      const injected = Object.fromEntries(KINDS.map((k) => [k, faults.filter((x) => x.kind === k).length]));
      const missing = KINDS.filter((k) => !faults.some((x) => x.kind === k && x.recoveredAt));

      const byStatus = [...api.byStatus.entries()].sort(([a], [b]) => a - b);
      const report = {
        seed: SEED,
        seconds: SECONDS,
        ranMs,
        workers: WORKERS,
        requestsSent: api.sent,
        answeredByStatus: Object.fromEntries(
          byStatus.map(([s, n]) => [s === 0 ? 'no answer' : String(s), n]),
        ),
        operations,
        operationsBelowShare: idle.map((o) => o.kind),
        faultsInjected: injected,
        faults: faults.map((x) => ({
          kind: x.kind,
          at_s: x.startedAt !== undefined ? (x.startedAt - began) / 1000 : null,
          detail: x.detail,
          duration_ms: x.liftedAt && x.startedAt ? x.liftedAt - x.startedAt : null,
          recovery_ms: x.recoveredAt && x.liftedAt ? x.recoveredAt - x.liftedAt : null,
        })),
        invariantsChecked: results.length,
        checks: results.map((r) => ({ name: r.name, examined: r.examined, violations: r.violations.length })),
        checksExaminingNothing: empty,
        violations,
        violationDetails: results.filter((r) => r.violations.length),
        excuses: EXCUSES,
        serverErrorsInFaultWindows: inWindows,
        serverErrorsInFaultWindowsByKind: explainedBy,
        serverErrorsOutsideFaultWindows: unexplained.length,
        unexplained: unexplained.slice(0, 50),
        crashes: f.crashes(),
      };
      const file = join(root, '.data', 'chaos', `results-${SEED}.json`);
      writeFileSync(file, JSON.stringify(report, null, 2));

      // ---- the table ---------------------------------------------------------------------------
      const row = (k: string, v: string | number) => out(`| ${k.padEnd(44)} | ${String(v).padStart(18)} |`);
      out();
      out(`| ${'chaos run'.padEnd(44)} | ${'value'.padStart(18)} |`);
      out(`|${'-'.repeat(46)}|${'-'.repeat(20)}|`);
      row('seed', SEED);
      row('duration (s)', (ranMs / 1000).toFixed(0));
      row('requests sent', api.sent);
      for (const [s, n] of byStatus) row(`  answered ${s === 0 ? 'no answer (cut)' : s}`, n);
      // per kind: how many, the longest fault (injected → lifted) and the longest recovery
      // (lifted → both instances answer /health 200)
      for (const k of KINDS) {
        const rec = faults.filter((x) => x.kind === k && x.recoveredAt && x.liftedAt && x.startedAt);
        const max = (xs: number[]) => (xs.length ? String(Math.max(...xs)) : '-');
        row(
          `fault ${k} (n, max ms down / to recover)`,
          `${injected[k]}, ${max(rec.map((x) => x.liftedAt! - x.startedAt!))} / ${max(rec.map((x) => x.recoveredAt! - x.liftedAt!))}`,
        );
      }
      row('invariants checked', results.length);
      row('checks that examined no rows', empty.length);
      row('violations', violations);
      row('operation kinds below their share', idle.length);
      row('5xx in fault windows (explained)', inWindows);
      row('5xx outside fault windows', unexplained.length);
      for (const [kind, codes] of Object.entries(explainedBy))
        out(
          `  in ${kind} windows: ${Object.entries(codes)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')}`,
        );
      out();
      out(formatChecks(results));
      out();
      for (const o of operations)
        out(
          `op ${idle.includes(o) ? 'LOW ' : 'ok  '} ${o.kind.padEnd(20)} ${String(o.ok).padStart(6)} ok / ${String(o.answered).padStart(6)} answered < 500` +
            ` (${(o.share * 100).toFixed(1)}%, floor ${(o.min * 100).toFixed(0)}%${o.provoked ? `, ${o.provoked} ${o.met ? 'met' : 'NOT MET'}` : ''})` +
            `, ${o.attempts} tried: ${Object.entries(o.answers)
              .sort(([, a], [, b]) => b - a)
              .map(([k, n]) => `${k} ×${n}`)
              .join(', ')}`,
        );
      out(`results: ${file}`);
      for (const r of report.violationDetails)
        out(`VIOLATION ${r.name}: ${JSON.stringify(r.violations.slice(0, 5))}`);
      for (const e of unexplained.slice(0, 20)) out(`UNEXPLAINED ${JSON.stringify(e)}`);

      expect(missing).toEqual([]);
      expect(report.violationDetails).toEqual([]);
      expect(empty).toEqual([]);
      expect(
        idle.map(
          (o) =>
            `${o.kind}: ${o.ok} ok of ${o.answered} answered, floor ${o.min}${o.met ? '' : `, ${o.provoked} never met`}`,
        ),
      ).toEqual([]);
      expect(unexplained).toEqual([]);
      expect(report.crashes).toEqual([]);
    } finally {
      await db?.end();
      await fleet?.stop();
      await Promise.all([mail.stop(), stripe.stop(), redis.stop(), postgres.close()]);
      if (process.env.CHAOS_KEEP !== '1') {
        rmSync(join(dir, 'postgres'), { recursive: true, force: true });
        rmSync(storageDir, { recursive: true, force: true });
      }
    }
  });
});
