import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { piece, wav } from './audio';
import type { AcknowledgedWrites } from './invariants';
import type { SmtpSink } from './smtp-sink';
import type { StripeFake } from './stripe-fake';

/**
 * A mixed workload over several instances of the API (test/fleet and npm run chaos share it):
 * every call goes to the next instance round-robin, so one user's upload is processed by another
 * instance and downloaded from a third, a purchase is confirmed on one and its Stripe events
 * arrive at others (late, twice, out of order), and concurrent requests of one user race on
 * different processes. It records every answer (status, instance, time) for the report; the
 * invariants are checked in the database afterwards (see invariants.ts).
 */

export interface Endpoint {
  name: string;
  url: string;
}

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: Endpoint;
  headers: Headers;
}

export interface ServerError {
  /** epoch ms when the request was sent and answered */
  sentAt: number;
  answeredAt: number;
  status: number;
  method: string;
  path: string;
  instance: string;
  code?: string;
  /** network errors: the message (status 0) */
  error?: string;
}

/** Seeded PRNG (mulberry32): the same seed draws the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Api {
  private cursor = 0;
  sent = 0;
  readonly byStatus = new Map<number, number>();
  /** 5xx answers and network errors (status 0), for the caller to judge against fault windows */
  readonly failures: ServerError[] = [];

  constructor(
    /** the instances to spread calls over (the live ones) */
    private readonly endpoints: () => Endpoint[],
    private readonly timeoutMs = 60_000,
  ) {}

  next(): Endpoint {
    const list = this.endpoints();
    if (!list.length) throw new Error('no instance to call');
    return list[this.cursor++ % list.length];
  }

  /** The instance after `e` in the list (a different one whenever there are two or more). */
  other(e: Endpoint, step = 1): Endpoint {
    const list = this.endpoints();
    const i = list.findIndex((x) => x.name === e.name);
    return list[(Math.max(i, 0) + step) % list.length];
  }

  async call(
    method: string,
    path: string,
    opts: {
      auth?: string;
      json?: unknown;
      form?: FormData;
      headers?: Record<string, string>;
      at?: Endpoint;
      /** a body sent as is (the webhook's signed payload) */
      rawBody?: string;
      /** a body streamed as it is produced */
      stream?: ReadableStream<Uint8Array>;
      raw?: boolean;
      timeoutMs?: number;
    } = {},
  ): Promise<Answer> {
    const at = opts.at ?? this.next();
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.auth) headers.authorization = opts.auth;
    let body: string | FormData | ReadableStream<Uint8Array> | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) body = opts.form;
    else if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.stream) body = opts.stream;
    this.sent++;
    const sentAt = Date.now();
    try {
      const res = await fetch(`${at.url}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs),
        ...(opts.stream ? { duplex: 'half' } : {}),
      });
      const buf = Buffer.from(await res.arrayBuffer());
      // a JSON body is read also for a call that wants raw bytes (a download): its 5xx has a code
      let json: unknown;
      if ((res.headers.get('content-type') ?? '').includes('json')) {
        try {
          json = JSON.parse(buf.toString());
        } catch {
          json = buf.toString();
        }
      }
      const parsed: unknown = opts.raw || json === undefined ? buf : json;
      this.byStatus.set(res.status, (this.byStatus.get(res.status) ?? 0) + 1);
      if (res.status >= 500) {
        const code = (json as { code?: string } | undefined)?.code;
        this.failures.push({
          sentAt,
          answeredAt: Date.now(),
          status: res.status,
          method,
          path: path.replace(/[?].*$/, ''),
          instance: at.name,
          code,
        });
      }
      return { status: res.status, body: parsed, at, headers: res.headers };
    } catch (err) {
      this.byStatus.set(0, (this.byStatus.get(0) ?? 0) + 1);
      this.failures.push({
        sentAt,
        answeredAt: Date.now(),
        status: 0,
        method,
        path: path.replace(/[?].*$/, ''),
        instance: at.name,
        error: (err as Error).message,
      });
      return { status: 0, body: { error: (err as Error).message }, at, headers: new Headers() };
    }
  }
}

export interface Actor {
  id: string;
  email: string;
  password: string;
  /** `Bearer pat_…`: a personal access token, so clock moves never expire the workload's sessions */
  auth: string;
}

export interface WorkloadOptions {
  api: Api;
  mail: SmtpSink;
  stripe: StripeFake;
  rng: () => number;
  admin: { email: string; password: string };
  producers?: number;
  artists?: number;
  buyers?: number;
  fans?: number;
  /** tracks uploaded per producer at setup (the first producer gets LIMIT+2 to test the limit) */
  tracksPerProducer?: number;
  submissionLimit?: number;
  /** a call that must succeed: retried this long while faults are injected (0 in the fleet spec) */
  retryMs?: number;
  /** record the outcome of one operation (chaos counts them) */
  onOperation?: (name: string, ok: boolean) => void;
}

/** The answers one kind of operation got. */
export interface OpStats {
  /** answered 2xx */
  ok: number;
  /** every other answer: a rule's refusal, a fault's 5xx, a cut connection */
  refused: number;
  /** of `refused`: a 5xx or no answer at all */
  failed: number;
  /** by answer, e.g. "429 follow_rate_limited", "0 no answer" */
  answers: Record<string, number>;
}

interface TrackRef {
  id: string;
  ownerId: string;
  ready: boolean;
  offers: boolean;
  /** its exclusive is sold: no more purchases are tried (the race tries one more) */
  sold?: boolean;
}

interface RequestRef {
  id: string;
  ownerId: string;
  createdAt: number;
  /** the first producer's rush (LIMIT+2 at once) went to it */
  rushed?: boolean;
  /** tracks submitted to it (answered 201, or refused as a duplicate) */
  submitted: Set<string>;
}

const OFFERS = [
  { type: 'basic', price_cents: 2999, currency: 'usd' },
  { type: 'premium', price_cents: 7999, currency: 'usd' },
  { type: 'exclusive', price_cents: 99900, currency: 'usd' },
];
const PRICE: Record<string, number> = { basic: 2999, premium: 7999, exclusive: 99900 };
const REQUEST = {
  description: 'Looking for a dark melodic trap beat with heavy 808s',
  reference_track_url: 'https://open.spotify.com/track/fleet',
  duration_hours: 24,
};

export class Workload {
  producers: Actor[] = [];
  artists: Actor[] = [];
  buyers: Actor[] = [];
  fans: Actor[] = [];
  tracks: TrackRef[] = [];
  requests: RequestRef[] = [];
  /** "buyer track type" of the licenses bought (a purchase answered succeeded, or already_purchased) */
  held = new Set<string>();
  /** whom each user follows, as the answers said (201, already_following; unfollows remove) */
  following = new Map<string, Set<string>>();
  /** the tour (setup) pays with cards that are accepted */
  private declines = true;
  licenses: { id: string; holder: Actor }[] = [];
  /** purchases answered `succeeded`, by buyer: what refunds and disputes draw from */
  paid: { id: string; buyer: Actor }[] = [];
  /** disputes opened at Stripe and not yet closed */
  disputes: string[] = [];
  playlists: { id: string; owner: Actor }[] = [];
  /** Stripe events not yet delivered (delivered late, in batches, shuffled, twice) */
  private events: { pending: Stripe.Event[]; seen: number } = { pending: [], seen: 0 };
  private seed = 1;
  counts = new Map<string, OpStats>();
  /** what the workload was answered 2xx for, and what it sent without an answer (see invariants.ts) */
  acknowledged: AcknowledgedWrites = { tracks: [], messages: [], purchases: [], playlists: [] };

  constructor(private readonly o: WorkloadOptions) {}

  /**
   * Another worker on the same actors, tracks and queues, drawing from its own generator (so a
   * seed fixes each worker's sequence of operations whatever the interleaving).
   */
  fork(rng: () => number): Workload {
    const w = new Workload({ ...this.o, rng });
    Object.assign(w, {
      producers: this.producers,
      artists: this.artists,
      buyers: this.buyers,
      fans: this.fans,
      tracks: this.tracks,
      requests: this.requests,
      licenses: this.licenses,
      paid: this.paid,
      disputes: this.disputes,
      playlists: this.playlists,
      following: this.following,
      held: this.held,
      events: this.events,
      counts: this.counts,
      acknowledged: this.acknowledged,
      seed: this.seed + 1_000_000 * Math.floor(rng() * 1000),
    });
    return w;
  }

  private get api(): Api {
    return this.o.api;
  }

  private pick<T>(list: T[]): T {
    return list[Math.floor(this.o.rng() * list.length)];
  }

  /**
   * Records one operation's answer under its kind: ok when `ok` (by default a 2xx). A bare
   * boolean is an outcome decided without one answer (a download: link and file).
   */
  private count(
    name: string,
    res: Answer | boolean,
    ok = typeof res === 'boolean' ? res : res.status >= 200 && res.status < 300,
  ): void {
    const c = this.counts.get(name) ?? { ok: 0, refused: 0, failed: 0, answers: {} };
    const status = typeof res === 'boolean' ? undefined : res.status;
    const code = typeof res === 'boolean' ? undefined : (res.body as { code?: unknown } | undefined)?.code;
    const key =
      status === undefined
        ? ok
          ? 'ok'
          : 'refused'
        : status === 0
          ? '0 no answer'
          : `${status}${typeof code === 'string' ? ` ${code}` : ''}`;
    c.answers[key] = (c.answers[key] ?? 0) + 1;
    if (ok) c.ok++;
    else {
      c.refused++;
      if (status === 0 || (status ?? 0) >= 500) c.failed++;
    }
    this.counts.set(name, c);
    this.o.onOperation?.(name, ok);
  }

  /** A call that must succeed (setup, drains): retried while faults last, else it throws. */
  async must(method: string, path: string, opts: Parameters<Api['call']>[2] = {}, ok = [200, 201, 204]) {
    const deadline = Date.now() + (this.o.retryMs ?? 0);
    for (;;) {
      const res = await this.api.call(method, path, opts);
      if (ok.includes(res.status)) return res;
      if (Date.now() >= deadline || (res.status >= 400 && res.status < 500 && res.status !== 429))
        throw new Error(`${method} ${path} on ${res.at.name}: ${res.status} ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 250));
      if (opts.at) opts = { ...opts, at: this.api.other(opts.at) };
    }
  }

  /** Runs every queued job on an instance (the one given, else the next). */
  async drain(at?: Endpoint): Promise<void> {
    await this.must('POST', '/api/v1/__test/jobs/drain', { at, timeoutMs: 120_000 });
  }

  // ---- setup ------------------------------------------------------------------------------

  async setup(): Promise<void> {
    const n = {
      producers: this.o.producers ?? 3,
      artists: this.o.artists ?? 2,
      buyers: this.o.buyers ?? 4,
      fans: this.o.fans ?? 4,
    };
    const all = await this.registerMany(n.producers + n.artists + n.buyers + n.fans);
    this.producers.push(...all.splice(0, n.producers));
    this.artists.push(...all.splice(0, n.artists));
    this.buyers.push(...all.splice(0, n.buyers));
    this.fans.push(...all.splice(0, n.fans));

    // artists on the pro plan (5 request tokens a month), by the admin override
    const admin = await this.must('POST', '/api/v1/auth/login', { json: this.o.admin });
    for (const a of this.artists) {
      await this.must('PUT', `/api/v1/admin/users/${a.id}/plan`, {
        auth: `Bearer ${admin.body.access_token as string}`,
        json: { plan: 'pro' },
      });
    }

    // every producer opens a payout account, which Stripe then says is ready (account.updated)
    for (const p of this.producers) {
      const opened = await this.must('POST', '/api/v1/me/payout-account', {
        auth: p.auth,
        json: { country: 'US' },
      });
      this.o.stripe.setAccountReady((opened.body.account as { account_id: string }).account_id, true);
    }
    this.collectEvents();

    // every producer uploads; the first one enough to go past the submission limit
    const limit = this.o.submissionLimit ?? 5;
    const per = this.o.tracksPerProducer ?? 2;
    await Promise.all(
      this.producers.map(async (p, i) => {
        for (let k = 0; k < (i === 0 ? limit + 2 : per); k++) await this.uploadTrack(p);
      }),
    );
    await this.processAll();
  }

  private async registerMany(count: number): Promise<Actor[]> {
    const password = 'correct-horse-battery';
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const users = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const email = `fleet-${tag}-${i}@test.local`;
        const res = await this.must('POST', '/api/v1/auth/register', {
          json: { email, password, display_name: `Fleet ${i}` },
        });
        return { id: res.body.id as string, email };
      }),
    );
    await this.drain();
    const actors: Actor[] = [];
    for (const u of users) {
      let token: string | undefined;
      for (let attempt = 0; !token; attempt++) {
        try {
          token = this.o.mail.tokenFor(u.email, /confirm/i);
        } catch (err) {
          if (attempt > 200) throw err;
          await this.drain();
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await this.must('POST', '/api/v1/auth/verify-email', { json: { token } });
      const session = await this.must('POST', '/api/v1/auth/login', { json: { email: u.email, password } });
      const pat = await this.must('POST', '/api/v1/me/access-tokens', {
        auth: `Bearer ${session.body.access_token as string}`,
        json: { name: 'fleet workload', expires_in_days: 365 },
      });
      actors.push({ id: u.id, email: u.email, password, auth: `Bearer ${pat.body.token as string}` });
    }
    return actors;
  }

  // ---- uploads, processing, downloads --------------------------------------------------------

  private audio(): Buffer {
    return wav(piece(++this.seed * 7919 + Math.floor(this.o.rng() * 1e6), 3));
  }

  /** Uploads on one instance; its processing is left for another instance's drain. */
  async uploadTrack(p: Actor, at?: Endpoint): Promise<string | undefined> {
    const form = new FormData();
    form.set('title', `Fleet beat ${this.seed}`);
    form.set('bpm', String(80 + Math.floor(this.o.rng() * 60)));
    form.set('genre', 'trap');
    form.set('tags', 'fleet');
    form.set('audio', new Blob([this.audio()], { type: 'audio/wav' }), 'beat.wav');
    const res = await this.api.call('POST', '/api/v1/tracks', { auth: p.auth, form, at });
    this.count('upload', res);
    if (res.status !== 201) return undefined;
    this.tracks.push({ id: res.body.id as string, ownerId: p.id, ready: false, offers: false });
    this.acknowledged.tracks.push(res.body.id as string);
    return res.body.id as string;
  }

  /**
   * An upload whose body trickles in over `ms` (a slow client): the instance is surely mid-upload
   * meanwhile, streaming to storage. Answers like any upload, or not at all if it dies.
   */
  async uploadSlowly(p: Actor, at: Endpoint, ms: number): Promise<void> {
    const boundary = `----fleet${randomUUID()}`;
    const fields = { title: `Slow beat ${this.seed}`, bpm: '90', genre: 'trap' };
    const head = Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('');
    const body = Buffer.concat([
      Buffer.from(
        `${head}--${boundary}\r\nContent-Disposition: form-data; name="audio"; filename="slow.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
      ),
      this.audio(),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const parts = 10;
    const size = Math.ceil(body.length / parts);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= parts) return controller.close();
        await new Promise((r) => setTimeout(r, ms / parts));
        controller.enqueue(body.subarray(sent * size, (sent + 1) * size));
        sent++;
      },
    });
    const res = await this.api.call('POST', '/api/v1/tracks', {
      auth: p.auth,
      at,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      stream,
    });
    this.count('upload', res);
    if (res.status === 201) {
      this.tracks.push({ id: res.body.id as string, ownerId: p.id, ready: false, offers: false });
      this.acknowledged.tracks.push(res.body.id as string);
    }
  }

  /** Drains on an instance, then reads every unready track (from yet another one) and prices it. */
  async processAll(): Promise<void> {
    const at = this.api.next();
    await this.drain(at);
    for (const t of this.tracks.filter((x) => !x.ready)) {
      const owner = this.producers.find((p) => p.id === t.ownerId)!;
      const res = await this.api.call('GET', `/api/v1/tracks/${t.id}`, {
        auth: owner.auth,
        at: this.api.other(at),
      });
      this.count('track.read', res);
      if (res.status === 200 && res.body.processing_status === 'ready') t.ready = true;
      if (t.ready && !t.offers) {
        const put = await this.api.call('PUT', `/api/v1/tracks/${t.id}/license-offers`, {
          auth: owner.auth,
          json: { offers: OFFERS },
        });
        this.count('track.offers', put);
        t.offers = put.status === 200;
      }
    }
  }

  async download(): Promise<void> {
    if (!this.licenses.length) return;
    const l = this.pick(this.licenses);
    const link = await this.api.call('POST', `/api/v1/licenses/${l.id}/download-links`, {
      auth: l.holder.auth,
    });
    if (link.status !== 201 && link.status !== 200) return this.count('download', link);
    const path = new URL(link.body.url as string).pathname + new URL(link.body.url as string).search;
    const file = await this.api.call('GET', path, { at: this.api.other(link.at), raw: true });
    this.count('download', file, file.status === 200 && (file.body as Buffer).length > 44);
  }

  // ---- purchases and webhooks ----------------------------------------------------------------

  /** A track the buyer may buy (of `type`: one whose license of that type it does not hold yet). */
  private forSale(buyer: Actor, type?: string): TrackRef | undefined {
    const list = this.tracks.filter(
      (t) => t.offers && !t.sold && t.ownerId !== buyer.id && !this.held.has(`${buyer.id} ${t.id} ${type}`),
    );
    return list.length ? this.pick(list) : undefined;
  }

  /** A refusal that says the track is sold exclusively: it is not tried again. */
  private noteSold(track: TrackRef, res: Answer): void {
    const code = (res.body as { code?: string } | undefined)?.code;
    if (code === 'exclusive_already_sold' || code === 'track_not_for_sale') track.sold = true;
  }

  /** Created on one instance, confirmed on another; the events wait for a late delivery. */
  async purchase(
    type: 'basic' | 'premium' | 'exclusive' = 'basic',
    buyer = this.pick(this.buyers),
    /** both calls on this instance (else created on one, confirmed on the next) */
    at?: Endpoint,
  ) {
    const track = this.forSale(buyer, type);
    if (!track) return;
    const created = await this.api.call('POST', '/api/v1/purchases', {
      auth: buyer.auth,
      headers: { 'idempotency-key': randomUUID() },
      json: { track_id: track.id, license_type: type, expected_price_cents: PRICE[type] },
      at,
    });
    this.count('purchase.create', created);
    this.noteSold(track, created);
    if ((created.body as { code?: string } | undefined)?.code === 'already_purchased')
      this.held.add(`${buyer.id} ${track.id} ${type}`);
    if (created.status !== 201) return;
    await this.confirm(
      buyer,
      created.body.id as string,
      at ?? this.api.other(created.at),
      'purchase.confirm',
      track,
      type,
    );
  }

  private async confirm(
    buyer: Actor,
    purchaseId: string,
    at: Endpoint,
    kind = 'purchase.confirm',
    track?: TrackRef,
    type = 'exclusive',
  ): Promise<void> {
    const pm = this.declines && this.o.rng() < 0.1 ? 'pm_card_chargeDeclined' : 'pm_card_visa';
    const res = await this.api.call('POST', `/api/v1/purchases/${purchaseId}/confirm`, {
      auth: buyer.auth,
      json: { payment_method: pm },
      at,
    });
    this.collectEvents();
    this.count(kind, res);
    if (res.status === 200 && res.body.status === 'succeeded') {
      if (track && kind === 'exclusive.confirm') track.sold = true;
      if (track) this.held.add(`${buyer.id} ${track.id} ${type}`);
      this.acknowledged.purchases.push(purchaseId);
      this.paid.push({ id: purchaseId, buyer });
      const lic = await this.api.call('GET', `/api/v1/purchases/${purchaseId}`, { auth: buyer.auth });
      const licenseId = lic.body?.license_id ?? lic.body?.license?.id;
      if (typeof licenseId === 'string') this.licenses.push({ id: licenseId, holder: buyer });
    }
  }

  /** Two buyers race for one track's exclusive on different instances. */
  async exclusiveRace(): Promise<void> {
    const a = this.pick(this.buyers);
    const b = this.pick(this.buyers.filter((x) => x !== a));
    const track = this.forSale(a);
    if (!track || track.ownerId === b.id) return;
    const created = await Promise.all(
      [a, b].map((buyer) =>
        this.api.call('POST', '/api/v1/purchases', {
          auth: buyer.auth,
          headers: { 'idempotency-key': randomUUID() },
          json: { track_id: track.id, license_type: 'exclusive', expected_price_cents: PRICE.exclusive },
        }),
      ),
    );
    for (const c of created) {
      this.count('exclusive.create', c);
      this.noteSold(track, c);
    }
    await Promise.all(
      created.map((c, i) =>
        c.status === 201
          ? this.confirm(
              i ? b : a,
              c.body.id as string,
              this.api.other(c.at, i + 1),
              'exclusive.confirm',
              track,
            )
          : Promise.resolve(),
      ),
    );
  }

  private collectEvents(): void {
    const fresh = this.o.stripe.events.slice(this.events.seen);
    this.events.seen = this.o.stripe.events.length;
    this.events.pending.push(...fresh);
  }

  /** Stripe events not yet acknowledged by a 2xx (sent, and still to send). */
  undeliveredEvents(): number {
    this.collectEvents();
    return this.events.pending.length;
  }

  /**
   * Delivers the waiting Stripe events, late: each twice, shuffled, to instances round-robin,
   * signed at the receiving instance's clock. An event neither delivery acknowledged (a 5xx, no
   * answer) waits for the next call, as Stripe delivers it again. Then a drain (refunds) elsewhere.
   */
  async deliverWebhooks(): Promise<void> {
    this.collectEvents();
    const batch = this.events.pending.splice(0);
    const acknowledged = new Set<string>();
    const twice = [...batch, ...batch];
    for (let i = twice.length - 1; i > 0; i--) {
      const j = Math.floor(this.o.rng() * (i + 1));
      [twice[i], twice[j]] = [twice[j], twice[i]];
    }
    await Promise.all(
      twice.map(async (event) => {
        const at = this.api.next();
        const clock = await this.api.call('GET', '/api/v1/__test/clock', { at });
        if (clock.status !== 200) return;
        const payload = JSON.stringify(event);
        // Connect's events (connected accounts) go to their own endpoint, signed with its secret
        const connect = event.type.startsWith('account.');
        const res = await this.api.call('POST', `/api/v1/webhooks/stripe${connect ? '/connect' : ''}`, {
          at,
          headers: {
            'content-type': 'application/json',
            'stripe-signature': this.o.stripe.sign(
              payload,
              connect ? this.o.stripe.connectWebhookSecret : undefined,
              Math.floor(Date.parse(clock.body.now as string) / 1000),
            ),
          },
          rawBody: payload,
        });
        this.count('webhook', res);
        if (res.status >= 200 && res.status < 300) acknowledged.add(event.id);
      }),
    );
    for (const event of batch) if (!acknowledged.has(event.id)) this.events.pending.push(event);
    await this.drain();
  }

  // ---- earnings, refunds, disputes ------------------------------------------------------------

  /** A producer asks to be paid now three times at once, on different instances: one transfer. */
  async payoutRush(p = this.pick(this.producers)): Promise<void> {
    const answers = await Promise.all(
      [0, 1, 2].map(() => this.api.call('POST', '/api/v1/me/earnings/transfers', { auth: p.auth })),
    );
    for (const res of answers) {
      const code = (res.body as { code?: string } | undefined)?.code;
      // "nothing to pay" is the rule answering the two that lost the race, not a failure
      this.count('payout', res, res.status === 201 || code === 'payout_below_minimum');
    }
  }

  /** A buyer asks twice at once for a refund of a recent purchase: one refund. */
  async refundRequest(): Promise<void> {
    if (!this.paid.length) return;
    const i = Math.floor(this.o.rng() * this.paid.length);
    const { id, buyer } = this.paid[i];
    const answers = await Promise.all(
      [0, 1].map(() => this.api.call('POST', `/api/v1/purchases/${id}/refund`, { auth: buyer.auth })),
    );
    for (const res of answers) {
      const code = (res.body as { code?: string } | undefined)?.code;
      // the loser of the pair, and purchases downloaded or disputed meanwhile: the rules answering
      const rule = ['already_refunded', 'refund_not_eligible', 'charge_disputed', 'refund_window_expired'];
      this.count('refund', res, res.status === 202 || rule.includes(code ?? ''));
    }
    if (answers.some((r) => r.status === 202)) this.paid.splice(i, 1);
    this.collectEvents();
  }

  /**
   * The card holder disputes a paid purchase at Stripe (its event waits for delivery); a dispute
   * opened before is closed, won or lost.
   */
  async disputeOne(): Promise<void> {
    const open = this.disputes.shift();
    if (open) this.o.stripe.closeDispute(open, this.o.rng() < 0.5 ? 'won' : 'lost');
    if (this.paid.length) {
      const [{ id }] = this.paid.splice(Math.floor(this.o.rng() * this.paid.length), 1);
      const pi = [...this.o.stripe.paymentIntents.values()].find(
        (x) => (x.metadata as { purchase_id?: string } | undefined)?.purchase_id === id,
      );
      if (pi && pi.status === 'succeeded' && !this.o.stripe.refundsFor(String(pi.id)).length) {
        const event = this.o.stripe.dispute(String(pi.id));
        this.disputes.push((event.data.object as { id: string }).id);
      }
    }
    this.collectEvents();
  }

  // ---- beat requests -------------------------------------------------------------------------

  async createRequest(owner = this.pick(this.artists)): Promise<void> {
    const res = await this.api.call('POST', '/api/v1/beat-requests', {
      auth: owner.auth,
      headers: { 'idempotency-key': randomUUID() },
      json: REQUEST,
    });
    this.count('request.create', res);
    if (res.status === 201)
      this.requests.push({
        id: res.body.id as string,
        ownerId: owner.id,
        createdAt: Date.now(),
        submitted: new Set(),
      });
  }

  /**
   * The first producer submits LIMIT+2 tracks to a request at once, spread over the instances
   * (once per request: after that the limit refuses every one), and the other producers one
   * track each that the request does not have yet. An expired request is left alone from then on.
   */
  async submissionRush(): Promise<void> {
    if (!this.requests.length) return;
    const req = this.pick(this.requests);
    const limit = this.o.submissionLimit ?? 5;
    const submit = async (p: Actor, t: TrackRef, key: boolean) => {
      const r = await this.api.call('POST', `/api/v1/beat-requests/${req.id}/submissions`, {
        auth: p.auth,
        headers: key ? { 'idempotency-key': randomUUID() } : {},
        json: { track_id: t.id },
      });
      this.count('submission', r);
      const code = (r.body as { code?: string } | undefined)?.code;
      if (r.status === 201 || code === 'duplicate_submission') req.submitted.add(t.id);
      const at = this.requests.indexOf(req);
      if ((code === 'request_expired' || code === 'request_not_found') && at >= 0)
        this.requests.splice(at, 1);
    };
    const [first, ...others] = this.producers;
    if (!req.rushed) {
      req.rushed = true;
      const mine = this.tracks.filter((t) => t.ownerId === first.id && t.ready).slice(0, limit + 2);
      await Promise.all(mine.map((t) => submit(first, t, true)));
    }
    await Promise.all(
      others.map(async (q) => {
        const t = this.tracks.find((x) => x.ownerId === q.id && x.ready && !req.submitted.has(x.id));
        if (t) await submit(q, t, false);
      }),
    );
  }

  async renewRequests(): Promise<void> {
    await Promise.all(
      this.requests.map(async (r) => {
        const owner = this.artists.find((a) => a.id === r.ownerId)!;
        const res = await this.api.call('POST', `/api/v1/beat-requests/${r.id}/renew`, {
          auth: owner.auth,
          json: { duration_hours: 24 },
        });
        this.count('request.renew', res);
      }),
    );
  }

  /** Deletes the newest request nothing was submitted to (else the newest): submissions stay to be checked. */
  async deleteRequest(): Promise<void> {
    const empty = this.requests.filter((x) => x.submitted.size === 0);
    const r = empty[empty.length - 1] ?? this.requests[this.requests.length - 1];
    if (!r) return;
    this.requests.splice(this.requests.indexOf(r), 1);
    const owner = this.artists.find((a) => a.id === r.ownerId)!;
    const res = await this.api.call('DELETE', `/api/v1/beat-requests/${r.id}`, { auth: owner.auth });
    this.count('request.delete', res);
  }

  // ---- social, messaging, playlists, radio ---------------------------------------------------

  /**
   * A fan follows everyone it does not follow yet at once, from different instances (the hourly
   * budget and the cap race), and now and then unfollows one it follows (never its last).
   */
  async followRush(unfollow = this.o.rng() < 0.5): Promise<void> {
    const fan = this.pick(this.fans);
    const mine = this.following.get(fan.id) ?? this.following.set(fan.id, new Set()).get(fan.id)!;
    const others = [...this.producers, ...this.artists, ...this.buyers, ...this.fans].filter(
      (u) => u.id !== fan.id && !mine.has(u.id),
    );
    const results = await Promise.all(
      others.map((u) => this.api.call('POST', `/api/v1/users/${u.id}/follow`, { auth: fan.auth })),
    );
    results.forEach((r, i) => {
      this.count('follow', r);
      if (r.status === 201 || (r.body as { code?: string } | undefined)?.code === 'already_following')
        mine.add(others[i].id);
    });
    // never the last one: the follow checks at rest need follows to examine
    if (mine.size > 1 && unfollow) {
      const u = this.pick([...mine]);
      const r = await this.api.call('DELETE', `/api/v1/users/${u}/follow`, { auth: fan.auth });
      this.count('unfollow', r);
      if (r.status < 300 || (r.body as { code?: string } | undefined)?.code === 'not_following')
        mine.delete(u);
    }
  }

  async messageRush(): Promise<void> {
    const from = this.pick(this.fans);
    const to = this.pick([...this.producers, ...this.artists].filter((u) => u.id !== from.id));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        this.api.call('POST', '/api/v1/messages', {
          auth: from.auth,
          json: { recipient_id: to.id, body: `hello ${i} from the fleet` },
        }),
      ),
    );
    for (const r of results) {
      this.count('message', r);
      if (r.status === 201) this.acknowledged.messages.push(r.body.id as string);
    }
  }

  /** Adds ready tracks to one playlist from every instance at once, then moves one. */
  async playlistEdits(): Promise<void> {
    const owner = this.pick(this.fans);
    let pl = this.playlists.find((p) => p.owner === owner);
    if (!pl) {
      const res = await this.api.call('POST', '/api/v1/playlists', {
        auth: owner.auth,
        headers: { 'idempotency-key': randomUUID() },
        json: { name: 'Fleet mix', visibility: 'public' },
      });
      this.count('playlist.create', res);
      if (res.status !== 201) return;
      pl = { id: res.body.id as string, owner };
      this.playlists.push(pl);
      this.acknowledged.playlists.push({ id: pl.id, added: [], unsure: [] });
    }
    const acked = this.acknowledged.playlists.find((p) => p.id === pl.id)!;
    // ready tracks not in it yet (three draws: now and then the same one twice, at once)
    const ready = this.tracks.filter(
      (t) => t.ready && !acked.added.includes(t.id) && !acked.unsure.includes(t.id),
    );
    const chosen = Array.from({ length: 3 }, () => this.pick(ready)).filter(Boolean);
    const results = await Promise.all(
      chosen.map((t) =>
        this.api.call('POST', `/api/v1/playlists/${pl.id}/tracks`, {
          auth: owner.auth,
          json: { track_id: t.id },
        }),
      ),
    );
    results.forEach((r, i) => {
      this.count('playlist.add', r);
      if (r.status === 200 || r.status === 201) acked.added.push(chosen[i].id);
      else if (r.status === 0 || r.status >= 500) acked.unsure.push(chosen[i].id);
    });
    const read = await this.api.call('GET', `/api/v1/playlists/${pl.id}`, { auth: owner.auth });
    const items = (read.body?.tracks ?? []) as { track_id?: string; id?: string; track?: { id: string } }[];
    const etag = read.headers.get('etag');
    if (read.status === 200 && items.length >= 2 && etag) {
      const first = items[0].track_id ?? items[0].track?.id ?? items[0].id;
      const res = await this.api.call('POST', `/api/v1/playlists/${pl.id}/tracks/move`, {
        auth: owner.auth,
        headers: { 'if-match': etag },
        json: { track_id: first, before_track_id: null },
      });
      this.count('playlist.move', res);
    }
  }

  /** A listener starts the radio on two devices at once, on two instances: one stream lives. */
  async radioRush(stop = this.o.rng() < 0.3): Promise<void> {
    const who = this.pick(this.fans);
    const results = await Promise.all(
      ['phone', 'laptop'].map((device) =>
        this.api.call('POST', '/api/v1/radio/sessions', {
          auth: who.auth,
          json: { station_id: 'genre:trap', device_id: `${device}-${who.id}` },
        }),
      ),
    );
    for (const r of results) this.count('radio.start', r);
    const live = results.find((r) => r.status === 201);
    if (live && stop) {
      const res = await this.api.call('DELETE', `/api/v1/radio/sessions/${live.body.session_id as string}`, {
        auth: who.auth,
      });
      this.count('radio.stop', res);
    }
  }

  // ---- subscriptions ---------------------------------------------------------------------------

  /**
   * A buyer subscribes to a paid plan, switches to another, or cancels at the period's end (one
   * change at a time per account: a second one meanwhile is refused). Its events arrive late,
   * with the purchases'.
   */
  async subscriptionChange(
    what: 'subscribe' | 'cancel' = this.o.rng() < 0.25 ? 'cancel' : 'subscribe',
    who = this.pick(this.buyers),
  ): Promise<void> {
    if (what === 'cancel') {
      const res = await this.api.call('DELETE', '/api/v1/billing/subscription', { auth: who.auth });
      this.collectEvents();
      return this.count('subscription.cancel', res);
    }
    const res = await this.api.call('POST', '/api/v1/billing/subscription', {
      auth: who.auth,
      headers: { 'idempotency-key': randomUUID() },
      json: {
        plan: this.pick(['classic', 'plus', 'pro']),
        payment_method: this.declines && this.o.rng() < 0.1 ? 'pm_card_chargeDeclined' : 'pm_card_visa',
      },
    });
    this.collectEvents();
    this.count('subscription.change', res);
  }

  /**
   * One of each operation, paid with cards that are accepted, before any fault: however slow the
   * machine, every invariant then has rows to examine (a sale, an exclusive and its race's loser
   * refunded, a subscription, submissions, follows, messages, a playlist, a radio session).
   */
  async tour(): Promise<void> {
    this.declines = false;
    try {
      await this.purchase('basic');
      await this.exclusiveRace();
      const subscriber = this.pick(this.buyers);
      await this.subscriptionChange('subscribe', subscriber);
      await this.deliverWebhooks();
      await this.subscriptionChange('cancel', subscriber);
      await this.download();
      await this.submissionRush();
      await this.createRequest();
      await this.deleteRequest();
      await this.followRush(true);
      await this.messageRush();
      await this.playlistEdits();
      await this.radioRush(true);
      await this.purchase('premium');
      await this.deliverWebhooks();
      await this.disputeOne();
      await this.refundRequest();
      await this.deliverWebhooks();
      await this.payoutRush(
        this.producers.find((p) => this.tracks.some((t) => t.ownerId === p.id && t.offers)),
      );
      await this.disputeOne();
    } finally {
      this.declines = true;
    }
  }

  /** One step of the mixed workload, drawn from the seeded generator. */
  async step(): Promise<string> {
    const ops: [string, number, () => Promise<void>][] = [
      ['upload', 1, async () => void (await this.uploadTrack(this.pick(this.producers)))],
      ['process', 1, () => this.processAll()],
      ['download', 1, () => this.download()],
      ['purchase', 3, () => this.purchase(this.o.rng() < 0.5 ? 'basic' : 'premium')],
      ['exclusive', 1, () => this.exclusiveRace()],
      ['webhooks', 2, () => this.deliverWebhooks()],
      ['request', 1, () => this.createRequest()],
      ['submissions', 1, () => this.submissionRush()],
      ['delete-request', 0.5, () => this.deleteRequest()],
      ['follows', 1, () => this.followRush()],
      ['messages', 1, () => this.messageRush()],
      ['playlist', 1, () => this.playlistEdits()],
      ['radio', 1, () => this.radioRush()],
      ['subscription', 0.5, () => this.subscriptionChange()],
      ['payout', 1, () => this.payoutRush()],
      ['refund', 0.5, () => this.refundRequest()],
      ['dispute', 0.3, () => this.disputeOne()],
    ];
    const total = ops.reduce((s, [, w]) => s + w, 0);
    let x = this.o.rng() * total;
    for (const [name, w, run] of ops) {
      x -= w;
      if (x <= 0) {
        await run();
        return name;
      }
    }
    return 'none';
  }

  /**
   * Delivers what is left and runs every job, so the database is at rest for the checks: rounds
   * until no event waits (a job may make Stripe send more: a refund's), at most `rounds`.
   */
  async settle(rounds = 5): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await this.deliverWebhooks();
      await this.drain();
      if (this.undeliveredEvents() === 0) return;
    }
  }
}
