import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { piece, wav } from './audio';
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

interface TrackRef {
  id: string;
  ownerId: string;
  ready: boolean;
  offers: boolean;
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
  requests: { id: string; ownerId: string; createdAt: number }[] = [];
  licenses: { id: string; holder: Actor }[] = [];
  playlists: { id: string; owner: Actor }[] = [];
  /** Stripe events not yet delivered (delivered late, in batches, shuffled, twice) */
  private events: { pending: Stripe.Event[]; seen: number } = { pending: [], seen: 0 };
  private seed = 1;
  counts = new Map<string, { ok: number; refused: number }>();

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
      playlists: this.playlists,
      events: this.events,
      counts: this.counts,
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

  private count(name: string, ok: boolean): void {
    const c = this.counts.get(name) ?? { ok: 0, refused: 0 };
    if (ok) c.ok++;
    else c.refused++;
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
    this.count('upload', res.status === 201);
    if (res.status !== 201) return undefined;
    this.tracks.push({ id: res.body.id as string, ownerId: p.id, ready: false, offers: false });
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
    this.count('upload', res.status === 201);
    if (res.status === 201)
      this.tracks.push({ id: res.body.id as string, ownerId: p.id, ready: false, offers: false });
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
      if (res.status === 200 && res.body.processing_status === 'ready') t.ready = true;
      if (t.ready && !t.offers) {
        const put = await this.api.call('PUT', `/api/v1/tracks/${t.id}/license-offers`, {
          auth: owner.auth,
          json: { offers: OFFERS },
        });
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
    if (link.status !== 201 && link.status !== 200) return this.count('download', false);
    const path = new URL(link.body.url as string).pathname + new URL(link.body.url as string).search;
    const file = await this.api.call('GET', path, { at: this.api.other(link.at), raw: true });
    this.count('download', file.status === 200 && (file.body as Buffer).length > 44);
  }

  // ---- purchases and webhooks ----------------------------------------------------------------

  private forSale(buyer: Actor): TrackRef | undefined {
    const list = this.tracks.filter((t) => t.offers && t.ownerId !== buyer.id);
    return list.length ? this.pick(list) : undefined;
  }

  /** Created on one instance, confirmed on another; the events wait for a late delivery. */
  async purchase(
    type: 'basic' | 'premium' | 'exclusive' = 'basic',
    buyer = this.pick(this.buyers),
    /** both calls on this instance (else created on one, confirmed on the next) */
    at?: Endpoint,
  ) {
    const track = this.forSale(buyer);
    if (!track) return;
    const created = await this.api.call('POST', '/api/v1/purchases', {
      auth: buyer.auth,
      headers: { 'idempotency-key': randomUUID() },
      json: { track_id: track.id, license_type: type, expected_price_cents: PRICE[type] },
      at,
    });
    if (created.status !== 201) return this.count(`purchase.${type}`, false);
    await this.confirm(buyer, created.body.id as string, at ?? this.api.other(created.at));
  }

  private async confirm(buyer: Actor, purchaseId: string, at: Endpoint): Promise<void> {
    const pm = this.o.rng() < 0.1 ? 'pm_card_chargeDeclined' : 'pm_card_visa';
    const res = await this.api.call('POST', `/api/v1/purchases/${purchaseId}/confirm`, {
      auth: buyer.auth,
      json: { payment_method: pm },
      at,
    });
    this.collectEvents();
    this.count('purchase.confirm', res.status === 200);
    if (res.status === 200 && res.body.status === 'succeeded') {
      const lic = await this.api.call('GET', `/api/v1/purchases/${purchaseId}`, { auth: buyer.auth });
      const licenseId = lic.body?.license_id ?? lic.body?.license?.id;
      if (typeof licenseId === 'string') this.licenses.push({ id: licenseId, holder: buyer });
    }
  }

  /** Two buyers race for one track's exclusive on different instances. */
  async exclusiveRace(): Promise<void> {
    const [a, b] = [this.pick(this.buyers), this.pick(this.buyers)];
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
    await Promise.all(
      created.map((c, i) =>
        c.status === 201
          ? this.confirm(i ? b : a, c.body.id as string, this.api.other(c.at, i + 1))
          : Promise.resolve(this.count('purchase.exclusive', false)),
      ),
    );
  }

  private collectEvents(): void {
    const fresh = this.o.stripe.events.slice(this.events.seen);
    this.events.seen = this.o.stripe.events.length;
    this.events.pending.push(...fresh);
  }

  /**
   * Delivers the waiting Stripe events, late: each twice, shuffled, to instances round-robin,
   * signed at the receiving instance's clock. Then a drain (refunds) elsewhere.
   */
  async deliverWebhooks(): Promise<void> {
    this.collectEvents();
    const batch = this.events.pending.splice(0);
    const twice = [...batch, ...batch];
    for (let i = twice.length - 1; i > 0; i--) {
      const j = Math.floor(this.o.rng() * (i + 1));
      [twice[i], twice[j]] = [twice[j], twice[i]];
    }
    await Promise.all(
      twice.map(async (event) => {
        const at = this.api.next();
        const clock = await this.api.call('GET', '/api/v1/__test/clock', { at });
        if (clock.status !== 200) return this.events.pending.push(event);
        const payload = JSON.stringify(event);
        const res = await this.api.call('POST', '/api/v1/webhooks/stripe', {
          at,
          headers: {
            'content-type': 'application/json',
            'stripe-signature': this.o.stripe.sign(
              payload,
              undefined,
              Math.floor(Date.parse(clock.body.now as string) / 1000),
            ),
          },
          rawBody: payload,
        });
        this.count('webhook', res.status === 200 || res.status === 204);
      }),
    );
    await this.drain();
  }

  // ---- beat requests -------------------------------------------------------------------------

  async createRequest(owner = this.pick(this.artists)): Promise<void> {
    const res = await this.api.call('POST', '/api/v1/beat-requests', {
      auth: owner.auth,
      headers: { 'idempotency-key': randomUUID() },
      json: REQUEST,
    });
    this.count('request.create', res.status === 201);
    if (res.status === 201)
      this.requests.push({ id: res.body.id as string, ownerId: owner.id, createdAt: Date.now() });
  }

  /** The first producer submits LIMIT+2 tracks to one request at once, spread over the instances. */
  async submissionRush(): Promise<void> {
    if (!this.requests.length) return;
    const req = this.pick(this.requests);
    const p = this.producers[0];
    const mine = this.tracks.filter((t) => t.ownerId === p.id && t.ready);
    const results = await Promise.all(
      mine.map((t) =>
        this.api.call('POST', `/api/v1/beat-requests/${req.id}/submissions`, {
          auth: p.auth,
          headers: { 'idempotency-key': randomUUID() },
          json: { track_id: t.id },
        }),
      ),
    );
    for (const r of results) this.count('submission', r.status === 201);
    // the other producers submit one each
    await Promise.all(
      this.producers.slice(1).map(async (q) => {
        const t = this.tracks.find((x) => x.ownerId === q.id && x.ready);
        if (!t) return;
        const r = await this.api.call('POST', `/api/v1/beat-requests/${req.id}/submissions`, {
          auth: q.auth,
          json: { track_id: t.id },
        });
        this.count('submission', r.status === 201);
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
        this.count('request.renew', res.status === 200 || res.status === 201);
      }),
    );
  }

  async deleteRequest(): Promise<void> {
    const r = this.requests.pop();
    if (!r) return;
    const owner = this.artists.find((a) => a.id === r.ownerId)!;
    const res = await this.api.call('DELETE', `/api/v1/beat-requests/${r.id}`, { auth: owner.auth });
    this.count('request.delete', res.status === 204 || res.status === 200);
  }

  // ---- social, messaging, playlists, radio ---------------------------------------------------

  /** A fan follows several people at once from different instances (the hourly budget races). */
  async followRush(): Promise<void> {
    const fan = this.pick(this.fans);
    const others = [...this.producers, ...this.artists, ...this.buyers, ...this.fans].filter(
      (u) => u.id !== fan.id,
    );
    const results = await Promise.all(
      others.map((u) => this.api.call('POST', `/api/v1/users/${u.id}/follow`, { auth: fan.auth })),
    );
    for (const r of results) this.count('follow', r.status === 200 || r.status === 201 || r.status === 204);
    if (this.o.rng() < 0.5) {
      const u = this.pick(others);
      const r = await this.api.call('DELETE', `/api/v1/users/${u.id}/follow`, { auth: fan.auth });
      this.count('unfollow', r.status < 300);
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
    for (const r of results) this.count('message', r.status === 201);
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
      this.count('playlist.create', res.status === 201);
      if (res.status !== 201) return;
      pl = { id: res.body.id as string, owner };
      this.playlists.push(pl);
    }
    const ready = this.tracks.filter((t) => t.ready);
    const chosen = Array.from({ length: 3 }, () => this.pick(ready)).filter(Boolean);
    const results = await Promise.all(
      chosen.map((t) =>
        this.api.call('POST', `/api/v1/playlists/${pl.id}/tracks`, {
          auth: owner.auth,
          json: { track_id: t.id },
        }),
      ),
    );
    for (const r of results) this.count('playlist.add', r.status === 201 || r.status === 200);
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
      this.count('playlist.move', res.status === 200);
    }
  }

  /** A listener starts the radio on two devices at once, on two instances: one stream lives. */
  async radioRush(): Promise<void> {
    const who = this.pick(this.fans);
    const results = await Promise.all(
      ['phone', 'laptop'].map((device) =>
        this.api.call('POST', '/api/v1/radio/sessions', {
          auth: who.auth,
          json: { station_id: 'genre:trap', device_id: `${device}-${who.id}` },
        }),
      ),
    );
    for (const r of results) this.count('radio.start', r.status === 201);
    const live = results.find((r) => r.status === 201);
    if (live && this.o.rng() < 0.3) {
      const res = await this.api.call('DELETE', `/api/v1/radio/sessions/${live.body.session_id as string}`, {
        auth: who.auth,
      });
      this.count('radio.stop', res.status < 300);
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

  /** Delivers what is left and runs every job, so the database is at rest for the checks. */
  async settle(): Promise<void> {
    await this.deliverWebhooks();
    await this.drain();
    await this.deliverWebhooks();
    await this.drain();
  }
}
