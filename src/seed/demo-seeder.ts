import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthRepository } from '../modules/auth/auth.repository';
import { Fulfilment } from '../modules/licensing/fulfilment';
import { LicensingRepository } from '../modules/licensing/licensing.repository';
import { platformFee } from '../modules/licensing/offers.service';
import { AppConfig } from '../config/config';
import { addSeconds, Clock } from '../platform/clock/clock';
import { hashPassword } from '../platform/crypto/secrets';
import { JobsService } from '../platform/jobs/jobs.service';
import { Database } from '../platform/database/database';
import { PrismaService } from '../platform/prisma/prisma.service';
import {
  ACCOUNTS,
  BACKSTAGE,
  BEAT_REQUEST,
  DEMO_PASSWORD,
  PLAYLIST,
  SOLD_LEASE,
  SUBMISSIONS,
  SUSPENSION,
  TRACKS,
} from './demo-data';
import { piece, wav } from './generated-audio';

const TRACK_SECONDS = 12;
const STEPS = 9;
const PROCESSING_DEADLINE_MS = 180_000;

export interface SeedReport {
  created: number;
  found: number;
  accounts: { email: string; password: string; shows: string }[];
}

/**
 * Builds the demo platform through the application itself: every change goes through the public
 * HTTP API (in-process, `inject`, no port opened) as the user who would make it, so the data obeys
 * every rule the API enforces, and tracks are processed and fingerprinted by the real job. Three
 * things have no public route and go through the app's own services: creating the accounts
 * already verified (no mailbox to click in), and recording the sold lease's payment (no Stripe),
 * which goes through the same fulfilment Stripe's webhook drives.
 *
 * Each step first looks for what it would make (by email, slug, title) and skips it when it is
 * there, so a second run reads and changes nothing; a run that stopped half-way finishes the rest.
 */
export class DemoSeeder {
  private readonly prisma: PrismaService;
  private readonly db: Database;
  private readonly ids = new Map<string, string>();
  private readonly tokens = new Map<string, string>();
  private created = 0;
  private found = 0;

  constructor(
    private readonly app: NestFastifyApplication,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {
    this.prisma = app.get(PrismaService);
    this.db = app.get(Database);
  }

  async run(): Promise<SeedReport> {
    try {
      await this.step('Accounts', () => this.accounts());
      await this.step('Artists', () => this.artists());
      await this.step('Tracks (generated audio, processed and fingerprinted)', () => this.tracks());
      await this.step('License offers', () => this.offers());
      await this.step('A sold lease', () => this.soldLease());
      await this.step('Plan and beat request with submissions', () => this.beatRequest());
      await this.step('A collaborative playlist', () => this.playlist());
      await this.step('Producer-program requests', () => this.backstage());
      await this.step('A suspended user with an audit trail', () => this.suspension());
    } finally {
      await this.signOutAll();
    }
    return {
      created: this.created,
      found: this.found,
      accounts: ACCOUNTS.map((a) => ({ email: a.email, password: DEMO_PASSWORD, shows: a.shows })),
    };
  }

  private stepNo = 0;
  private async step(title: string, fn: () => Promise<void>): Promise<void> {
    this.log(`[${++this.stepNo}/${STEPS}] ${title}`);
    await fn();
  }

  private made(what: string): void {
    this.created++;
    this.log(`  + ${what}`);
  }

  private there(what: string): void {
    this.found++;
    this.log(`  = ${what} (already there)`);
  }

  // ---- the steps --------------------------------------------------------------------------

  private async accounts(): Promise<void> {
    const auth = this.app.get(AuthRepository);
    const clock = this.app.get(Clock);
    for (const a of ACCOUNTS) {
      const existing = await this.prisma.user.findUnique({ where: { email: a.email }, select: { id: true } });
      if (existing) {
        this.ids.set(a.key, existing.id);
        this.there(a.email);
        continue;
      }
      const passwordHash = await hashPassword(DEMO_PASSWORD);
      const user = await this.db.transaction((tx) =>
        auth.createUser(tx, {
          email: a.email,
          passwordHash,
          displayName: a.name,
          role: a.role ?? 'user',
          verified: true,
          now: clock.now(),
        }),
      );
      this.ids.set(a.key, user.id);
      this.made(`${a.email}${a.role ? ` (${a.role})` : ''}`);
    }
  }

  private async artists(): Promise<void> {
    for (const a of ACCOUNTS) {
      const artist = a.artist;
      if (!artist) continue;
      if (await this.prisma.artist.findUnique({ where: { slug: artist.slug }, select: { id: true } })) {
        this.there(`artist ${artist.name}`);
        continue;
      }
      await this.api(a.key, 'POST', '/artists', { json: { name: artist.name, slug: artist.slug } });
      this.made(`artist ${artist.name}`);
    }
  }

  private async tracks(): Promise<void> {
    let uploaded = 0;
    for (const t of TRACKS) {
      if (await this.track(t.owner, t.title)) {
        this.there(`"${t.title}"`);
        continue;
      }
      const form = new FormData();
      form.append('title', t.title);
      form.append('bpm', String(t.bpm));
      form.append('genre', t.genre);
      form.append('key', t.key);
      form.append('mood', t.mood);
      form.append('tags', t.tags);
      const audio = wav(piece(t.seed, TRACK_SECONDS, { sampleRate: 22_050 }));
      form.append('audio', new Blob([new Uint8Array(audio)], { type: 'audio/wav' }), `${t.seed}.wav`);
      await this.api(t.owner, 'POST', '/tracks', { form });
      uploaded++;
      this.made(`"${t.title}" uploaded (${(audio.length / 1024).toFixed(0)} KiB WAV)`);
    }
    await this.awaitProcessing(uploaded);
  }

  /** Runs the processing jobs (another running server's workers may take some) until done. */
  private async awaitProcessing(uploaded: number): Promise<void> {
    const jobs = this.app.get(JobsService);
    const ownerIds = [...new Set(TRACKS.map((t) => this.id(t.owner)))];
    const deadline = Date.now() + PROCESSING_DEADLINE_MS;
    for (;;) {
      await jobs.drain();
      const open = await this.prisma.track.count({
        where: { ownerId: { in: ownerIds }, processingStatus: { in: ['pending', 'processing'] } },
      });
      if (open === 0) break;
      if (Date.now() > deadline)
        throw new Error(`${open} tracks still processing after ${PROCESSING_DEADLINE_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const failed = await this.prisma.track.count({
      where: { ownerId: { in: ownerIds }, processingStatus: 'failed' },
    });
    if (failed) throw new Error(`${failed} demo tracks failed processing (see the server log)`);
    if (uploaded) this.log(`  ✓ ${uploaded} tracks processed and fingerprinted`);
  }

  private async offers(): Promise<void> {
    for (const t of TRACKS) {
      const track = (await this.track(t.owner, t.title))!;
      if (await this.prisma.licenseOffer.count({ where: { trackId: track.id } })) {
        this.there(`offers on "${t.title}"`);
        continue;
      }
      await this.api(t.owner, 'PUT', `/tracks/${track.id}/license-offers`, {
        json: { offers: t.offers.map((o) => ({ ...o, currency: 'usd' })) },
      });
      this.made(`${t.offers.length} offers on "${t.title}"`);
    }
  }

  /**
   * A paid checkout without Stripe: the purchase is recorded as the API records one, then its
   * payment is applied through Fulfilment (what the confirm call and Stripe's webhook use), so
   * the license, its certificate and the purchase state are the real ones.
   */
  private async soldLease(): Promise<void> {
    const owner = TRACKS.find((t) => t.title === SOLD_LEASE.track)!.owner;
    const track = (await this.track(owner, SOLD_LEASE.track))!;
    const buyerId = this.id(SOLD_LEASE.buyer);
    if (await this.prisma.license.findFirst({ where: { holderId: buyerId, trackId: track.id } })) {
      this.there(`${SOLD_LEASE.type} lease of "${SOLD_LEASE.track}"`);
      return;
    }
    const repo = this.app.get(LicensingRepository);
    const clock = this.app.get(Clock);
    const config = this.app.get(AppConfig);
    const offer = await this.prisma.licenseOffer.findFirstOrThrow({
      where: { trackId: track.id, type: SOLD_LEASE.type },
    });
    const now = clock.now();
    const purchase = await repo.createPurchase({
      buyerId,
      trackId: track.id,
      type: offer.type,
      priceCents: offer.priceCents,
      feeCents: platformFee(offer.priceCents, config.limits.platformFeeBps),
      currency: offer.currency,
      expiresAt: addSeconds(now, config.limits.checkoutSeconds),
      at: now,
    });
    const paymentIntentId = `pi_demo_${purchase.id}`;
    await repo.attachPaymentIntent(purchase.id, paymentIntentId, `${paymentIntentId}_secret_demo`, now);
    const fulfilment = this.app.get(Fulfilment);
    await repo.transaction((tx) => fulfilment.paymentSucceeded(tx, paymentIntentId));
    this.made(`${SOLD_LEASE.type} lease of "${SOLD_LEASE.track}" sold to ${SOLD_LEASE.buyer}`);
  }

  private async beatRequest(): Promise<void> {
    const ownerId = this.id(BEAT_REQUEST.owner);
    const owner = await this.prisma.user.findUniqueOrThrow({
      where: { id: ownerId },
      select: { planId: true },
    });
    if (owner.planId === 'pro') this.there(`${BEAT_REQUEST.owner} on the pro plan`);
    else {
      await this.api('admin', 'PUT', `/admin/users/${ownerId}/plan`, { json: { plan: 'pro' } });
      this.made(`${BEAT_REQUEST.owner} moved to the pro plan (admin override)`);
    }

    let request = await this.prisma.beatRequest.findFirst({
      where: { ownerId, title: BEAT_REQUEST.title },
      select: { id: true },
    });
    if (request) this.there(`request "${BEAT_REQUEST.title}"`);
    else {
      const { owner: who, ...body } = BEAT_REQUEST;
      request = await this.api<{ id: string }>(who, 'POST', '/beat-requests', {
        json: body,
        idempotencyKey: `demo-seed:beat-request:${ownerId}`,
      });
      this.made(`request "${BEAT_REQUEST.title}" (${BEAT_REQUEST.duration_hours} h)`);
    }

    for (const s of SUBMISSIONS) {
      const track = (await this.track(s.producer, s.track))!;
      if (await this.prisma.submission.findFirst({ where: { requestId: request.id, trackId: track.id } })) {
        this.there(`submission of "${s.track}"`);
        continue;
      }
      await this.api(s.producer, 'POST', `/beat-requests/${request.id}/submissions`, {
        json: { track_id: track.id },
        idempotencyKey: `demo-seed:submission:${request.id}:${track.id}`,
      });
      this.made(`submission of "${s.track}" by ${s.producer}`);
    }
  }

  private async playlist(): Promise<void> {
    const ownerId = this.id(PLAYLIST.owner);
    const editorId = this.id(PLAYLIST.editor);
    let playlist = await this.prisma.playlist.findFirst({
      where: { ownerId, name: PLAYLIST.name },
      select: { id: true },
    });
    if (playlist) this.there(`playlist "${PLAYLIST.name}"`);
    else {
      playlist = await this.api<{ id: string }>(PLAYLIST.owner, 'POST', '/playlists', {
        json: { name: PLAYLIST.name, description: PLAYLIST.description, visibility: 'public' },
        idempotencyKey: `demo-seed:playlist:${ownerId}`,
      });
      this.made(`playlist "${PLAYLIST.name}" by ${PLAYLIST.owner}`);
    }
    const add = async (as: string, title: string) => {
      const owner = TRACKS.find((t) => t.title === title)!.owner;
      const track = (await this.track(owner, title))!;
      if (
        await this.prisma.playlistTrack.findFirst({ where: { playlistId: playlist.id, trackId: track.id } })
      ) {
        this.there(`"${title}" in the playlist`);
        return;
      }
      await this.api(as, 'POST', `/playlists/${playlist.id}/tracks`, {
        json: { track_id: track.id },
        idempotencyKey: `demo-seed:playlist-track:${playlist.id}:${track.id}`,
      });
      this.made(`"${title}" added by ${as}`);
    };
    for (const title of PLAYLIST.tracks) await add(PLAYLIST.owner, title);

    if (
      await this.prisma.playlistEditor.findFirst({ where: { playlistId: playlist.id, userId: editorId } })
    ) {
      this.there(`${PLAYLIST.editor} editing the playlist`);
    } else {
      const open = await this.prisma.playlistInvitation.findFirst({
        where: { playlistId: playlist.id, inviteeId: editorId, status: 'pending' },
        select: { id: true },
      });
      const invitation =
        open ??
        (await this.api<{ id: string }>(PLAYLIST.owner, 'POST', `/playlists/${playlist.id}/invitations`, {
          json: { user_id: editorId },
          idempotencyKey: `demo-seed:invitation:${playlist.id}:${editorId}`,
        }));
      await this.api(PLAYLIST.editor, 'POST', `/playlist-invitations/${invitation.id}/accept`, {});
      await this.app.get(JobsService).drain(); // the invitation mail
      this.made(`${PLAYLIST.editor} invited, and accepted: an editor`);
    }
    await add(PLAYLIST.editor, PLAYLIST.editorTrack);
  }

  private async backstage(): Promise<void> {
    for (const b of BACKSTAGE) {
      const userId = this.id(b.user);
      if (await this.prisma.backstageRequest.findFirst({ where: { userId } })) {
        this.there(`${b.body.type} request of ${b.user}`);
        continue;
      }
      const artist =
        b.body.type === 'verify-artist'
          ? await this.prisma.artist.findUniqueOrThrow({ where: { userId }, select: { id: true } })
          : null;
      const request = await this.api<{ id: string }>(b.user, 'POST', '/backstage/requests', {
        json: { ...b.body, ...(artist ? { artist_id: artist.id } : {}) },
        idempotencyKey: `demo-seed:backstage:${userId}`,
      });
      this.made(`${b.body.type} request of ${b.user}`);
      if ('decision' in b) {
        await this.api('admin', 'POST', `/admin/backstage/requests/${request.id}/${b.decision.action}`, {
          json: { notes: b.decision.notes },
        });
        this.made(`${b.user}'s request ${b.decision.action}d by the admin`);
      }
    }
  }

  private async suspension(): Promise<void> {
    const userId = this.id(SUSPENSION.user);
    const user = await this.prisma.user.findUniqueOrThrow({
      where: { id: userId },
      select: { status: true },
    });
    const trail = await this.prisma.auditLog.count({ where: { targetId: userId } });
    if (user.status === 'suspended' || trail > 0) {
      this.there(`${SUSPENSION.user} suspended`);
      return;
    }
    await this.api('admin', 'PUT', `/admin/users/${userId}/permissions`, {
      json: { revoke: [SUSPENSION.revoke] },
    });
    this.made(`${SUSPENSION.revoke} revoked from ${SUSPENSION.user}`);
    await this.api('admin', 'POST', `/admin/users/${userId}/suspend`, {
      json: { reason: SUSPENSION.reason },
    });
    this.made(`${SUSPENSION.user} suspended`);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private id(key: string): string {
    const id = this.ids.get(key);
    if (!id) throw new Error(`demo account ${key} missing`);
    return id;
  }

  private track(owner: string, title: string) {
    return this.prisma.track.findFirst({ where: { ownerId: this.id(owner), title }, select: { id: true } });
  }

  /** A session per account, opened only when that account has something to do. */
  private async token(key: string): Promise<string> {
    const existing = this.tokens.get(key);
    if (existing) return existing;
    const account = ACCOUNTS.find((a) => a.key === key)!;
    const res = await this.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: account.email, password: DEMO_PASSWORD },
    });
    if (res.statusCode !== 200) {
      throw new Error(
        `cannot sign in as ${account.email}: ${describe(res.body)} (was its password changed? the seed only knows ${DEMO_PASSWORD})`,
      );
    }
    const token = res.json<{ access_token: string }>().access_token;
    this.tokens.set(key, token);
    return token;
  }

  /** The seed's sessions end with it (their refresh tokens are revoked). */
  private async signOutAll(): Promise<void> {
    for (const token of this.tokens.values()) {
      await this.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: { authorization: `Bearer ${token}` },
      });
    }
    this.tokens.clear();
  }

  private async api<T = unknown>(
    as: string,
    method: 'POST' | 'PUT',
    path: string,
    options: { json?: unknown; form?: FormData; idempotencyKey?: string },
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token(as)}` };
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let payload: string | Buffer | undefined;
    if (options.form) {
      // the multipart encoding of fetch's own FormData
      const encoded = new Request('http://seed.invalid/', { method: 'POST', body: options.form });
      headers['content-type'] = encoded.headers.get('content-type')!;
      payload = Buffer.from(await encoded.arrayBuffer());
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.json);
    }
    const res = await this.app.inject({ method, url: `/api/v1${path}`, headers, payload });
    if (res.statusCode >= 400) throw new Error(`${method} ${path} as ${as}: ${describe(res.body)}`);
    return res.json<T>();
  }
}

/** An API error as one line: its code and catalogue message. */
function describe(body: string): string {
  try {
    const e = JSON.parse(body) as { code?: string; message?: string; errors?: unknown };
    return `${e.code}: ${e.message}${e.errors ? ` ${JSON.stringify(e.errors)}` : ''}`;
  } catch {
    return body.slice(0, 200);
  }
}
