import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import Stripe from 'stripe';

/**
 * A local Stripe-compatible HTTP server for the real `stripe` SDK (reached through
 * STRIPE_API_BASE_URL): form-encoded requests, Stripe's JSON objects and error objects, Stripe's
 * idempotency keys, and the outcomes of Stripe's documented test payment methods. It records
 * what it was asked (refunds above all) and the events Stripe would send, which tests deliver to
 * the webhook endpoint signed with the real signing scheme — in order, shuffled or repeated.
 */

type Obj = Record<string, unknown>;

export type StripeFault = '500' | 'hang' | 'drop';

/** Stripe's documented test payment methods and what confirming with them does. */
const DECLINES: Record<string, { code: string; decline_code?: string; message: string }> = {
  pm_card_chargeDeclined: {
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedLostCard: {
    code: 'card_declined',
    decline_code: 'lost_card',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedFraudulent: {
    code: 'card_declined',
    decline_code: 'fraudulent',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedExpiredCard: { code: 'expired_card', message: 'Your card has expired.' },
  pm_card_chargeDeclinedIncorrectCvc: {
    code: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  pm_card_chargeDeclinedIncorrectZip: {
    code: 'incorrect_zip',
    message: 'The zip code you supplied failed validation.',
  },
  pm_card_chargeDeclinedProcessingError: {
    code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};
const ACCEPTED = new Set(['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex', 'pm_card_visa_debit']);

class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: Obj,
  ) {
    super(String(error.message));
  }
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Stripe's form encoding: a[b]=1&a[c][0]=2 → { a: { b: '1', c: ['2'] } }. */
export function parseForm(body: string): Obj {
  const out: Obj = {};
  for (const pair of body.split('&').filter(Boolean)) {
    const [rawKey, rawValue = ''] = pair.split('=');
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    const path = key.replace(/\]/g, '').split('[');
    let node: Obj = out;
    path.forEach((segment, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]);
      if (last) node[segment] = value;
      else node = (node[segment] ??= nextIsIndex ? [] : {}) as Obj;
    });
  }
  return out;
}

export class StripeFake {
  readonly secretKey = 'sk_test_fake_' + randomBytes(8).toString('hex');
  readonly webhookSecret = 'whsec_fake_' + randomBytes(16).toString('hex');
  readonly connectWebhookSecret = 'whsec_fake_connect_' + randomBytes(16).toString('hex');
  readonly paymentIntents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly refunds: Obj[] = [];
  readonly customers = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly disputes = new Map<string, Obj>();
  /** Connect: connected accounts, transfers to them and reversals of those */
  readonly accounts = new Map<string, Obj>();
  readonly transfers = new Map<string, Obj>();
  readonly reversals: Obj[] = [];
  /** a connected account's balance is what was transferred to it less reversals, plus this */
  readonly accountBalanceAdjust = new Map<string, number>();
  /** every request: method, path, idempotency key (the call log) */
  readonly requests: { method: string; path: string; idempotencyKey?: string }[] = [];
  /** events Stripe would send, oldest first */
  readonly events: Stripe.Event[] = [];
  private readonly idempotent = new Map<string, { status: number; body: string; params: string }>();
  private readonly failures: { route: string; status: number; error: Obj }[] = [];
  private readonly faults: { route: string; mode: 'hang' | 'drop' }[] = [];
  private readonly hung = new Set<ServerResponse>();
  private server?: Server;
  /** added before every answer (a slow Stripe: a request is surely in flight meanwhile) */
  latencyMs = 0;
  private fault?: { mode: StripeFault; cleared: Promise<void>; clear: () => void };
  private readonly signer = new Stripe('sk_test_signer');
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    this.setFault(undefined);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /**
   * The next request to `route` meets a network fault. `hang`: Stripe does the work (and keeps
   * its outcome under the idempotency key) but the answer never comes, past any client timeout.
   * `drop`: the connection is cut before Stripe reads the request (nothing happens).
   */
  faultNext(route: string, mode: 'hang' | 'drop'): void {
    this.faults.push({ route, mode });
  }

  /** The next request to `route` (e.g. "POST /v1/payment_intents") fails like Stripe would. */
  failNext(
    route: string,
    status = 500,
    error: Obj = { type: 'api_error', message: 'An unknown error occurred' },
  ): void {
    this.failures.push({ route, status, error });
  }

  /**
   * Until cleared, every API request fails like Stripe down: '500' answers Stripe's api_error,
   * 'hang' never answers (the connection is cut when the fault clears, past the client's
   * timeout), 'drop' cuts the connection at once. `undefined` clears it.
   */
  setFault(mode: StripeFault | undefined): void {
    this.fault?.clear();
    this.fault = undefined;
    if (!mode) return;
    let clear!: () => void;
    const cleared = new Promise<void>((resolve) => (clear = resolve));
    this.fault = { mode, cleared, clear };
  }

  /** What 24 hours do at Stripe: every idempotency key is forgotten (a retry is a new request). */
  expireIdempotencyKeys(): void {
    this.idempotent.clear();
  }

  /** The requests made to a route, e.g. calls('POST', '/v1/subscriptions'). */
  calls(method: string, path: string) {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  refundsFor(paymentIntentId: string): Obj[] {
    return this.refunds.filter((r) => r.payment_intent === paymentIntentId);
  }

  eventsFor(objectId: string): Stripe.Event[] {
    return this.events.filter((e) => {
      const o = e.data.object as unknown as Obj;
      return o.id === objectId || o.payment_intent === objectId;
    });
  }

  /** The Stripe-Signature header for a payload, as Stripe computes it. */
  sign(payload: string, secret = this.webhookSecret, timestamp?: number): string {
    return this.signer.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  }

  /** POSTs an event to the webhook endpoint, signed (at `timestamp`, epoch seconds, if given). */
  async deliver(
    endpoint: string,
    event: Stripe.Event,
    timestamp?: number,
    secret = this.webhookSecret,
  ): Promise<{ status: number; body: string }> {
    const payload = JSON.stringify(event);
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': this.sign(payload, secret, timestamp),
      },
      body: payload,
    });
    return { status: res.status, body: await res.text() };
  }

  emit(type: string, object: Obj): Stripe.Event {
    const event = {
      id: id('evt'),
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    } as unknown as Stripe.Event;
    this.events.push(event);
    return event;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method, path: url.pathname, idempotencyKey });

    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    // a Stripe outage (setFault) before a one-off fault (faultNext)
    const outage = this.fault;
    if (outage?.mode === 'drop') return void req.socket.destroy();
    if (outage?.mode === 'hang') {
      await outage.cleared;
      return void req.socket.destroy();
    }
    const route = `${method} ${url.pathname.replace(/\/(pi|ch|cus|sub|re|dp|acct|tr)_[0-9a-f]+/g, '/:id')}`;
    const faultAt = this.faults.findIndex((f) => f.route === route);
    const fault = faultAt >= 0 ? this.faults.splice(faultAt, 1)[0].mode : undefined;
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    const send = (status: number, body: string) => {
      if (fault === 'hang') {
        this.hung.add(res);
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(body);
    };
    if (outage?.mode === '500') {
      return send(
        500,
        JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred' } }),
      );
    }
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(
        401,
        JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }),
      );
    }
    const cacheKey = idempotencyKey ? `${method} ${url.pathname} ${idempotencyKey}` : undefined;
    if (cacheKey && this.idempotent.has(cacheKey)) {
      const hit = this.idempotent.get(cacheKey)!;
      if (hit.params !== raw) {
        return send(
          400,
          JSON.stringify({
            error: {
              type: 'idempotency_error',
              message:
                'Keys for idempotent requests can only be used with the same parameters they were first used with.',
            },
          }),
        );
      }
      return send(hit.status, hit.body);
    }
    let status = 200;
    let body: string;
    try {
      const failure = this.failures.findIndex((f) => f.route === route);
      if (failure >= 0) {
        const [f] = this.failures.splice(failure, 1);
        throw new StripeHttpError(f.status, f.error);
      }
      // a GET's parameters are in its query string, a POST's in its form body
      body = JSON.stringify(
        this.route(method, url.pathname, parseForm(method === 'GET' ? url.search.slice(1) : raw)),
      );
    } catch (err) {
      if (!(err instanceof StripeHttpError)) throw err;
      status = err.status;
      body = JSON.stringify({ error: err.error });
    }
    // Stripe stores the outcome of a request under its key, errors included (not 5xx)
    if (cacheKey && status < 500) this.idempotent.set(cacheKey, { status, body, params: raw });
    send(status, body);
  }

  private route(method: string, path: string, p: Obj): Obj {
    const parts = path.split('/').filter(Boolean); // v1, resource, id?, action?
    const [, resource, rid, action] = parts;
    if (resource === 'payment_intents') {
      if (method === 'POST' && !rid) return this.createPaymentIntent(p);
      const pi = this.paymentIntents.get(rid);
      if (!pi) throw this.missing('payment_intent', rid);
      if (method === 'GET') return pi;
      if (action === 'confirm')
        return this.confirm(pi, String((p.payment_method as string | undefined) ?? ''));
      if (action === 'cancel') {
        if (pi.status === 'succeeded' || pi.status === 'canceled') {
          throw new StripeHttpError(400, {
            type: 'invalid_request_error',
            code: 'payment_intent_unexpected_state',
            message: `You cannot cancel this PaymentIntent because it has a status of ${String(pi.status)}.`,
          });
        }
        pi.status = 'canceled';
        pi.cancellation_reason = p.cancellation_reason ?? null;
        this.emit('payment_intent.canceled', pi);
        return pi;
      }
    }
    if (resource === 'charges' && method === 'GET') {
      const ch = this.charges.get(rid);
      if (!ch) throw this.missing('charge', rid);
      return ch;
    }
    if (resource === 'disputes' && method === 'GET') {
      const dp = this.disputes.get(rid);
      if (!dp) throw this.missing('dispute', rid);
      return dp;
    }
    if (resource === 'refunds' && method === 'POST') return this.refund(p);
    if (resource === 'accounts') {
      if (method === 'POST' && !rid) return this.createAccount(p);
      const a = this.accounts.get(rid);
      if (!a) throw this.missing('account', rid);
      if (method === 'GET') return a;
    }
    // Stripe's test helpers (the benchmark readies thousands of accounts without webhooks)
    if (resource === 'test_helpers' && rid === 'accounts' && method === 'POST') {
      const [, , , , accountId, what] = path.split('/');
      if (what !== 'ready' || !this.accounts.has(accountId)) throw this.missing('account', accountId);
      this.setAccountReady(accountId, true);
      this.events.pop(); // no webhook: the caller records readiness itself
      return this.accounts.get(accountId)!;
    }
    if (resource === 'account_links' && method === 'POST') {
      const a = this.accounts.get(String(p.account));
      if (!a) throw this.missing('account', String(p.account));
      return {
        object: 'account_link',
        url: `https://connect.stripe.test/setup/e/${String(a.id)}/${randomBytes(6).toString('hex')}`,
        expires_at: Math.floor(Date.now() / 1000) + 300,
        created: Math.floor(Date.now() / 1000),
      };
    }
    if (resource === 'transfers') {
      if (method === 'POST' && !rid) return this.createTransfer(p);
      if (method === 'GET' && !rid) {
        // the list, filtered by transfer_group and destination as Stripe's is
        const data = [...this.transfers.values()].filter(
          (t) =>
            (p.transfer_group === undefined || t.transfer_group === p.transfer_group) &&
            (p.destination === undefined || t.destination === p.destination),
        );
        return {
          object: 'list',
          data: data.slice(0, Number(p.limit ?? 10)),
          has_more: data.length > Number(p.limit ?? 10),
        };
      }
      const tr = this.transfers.get(rid);
      if (!tr) throw this.missing('transfer', rid);
      if (method === 'GET' && !action) return tr;
      if (method === 'POST' && action === 'reversals') return this.reverseTransfer(tr, p);
    }
    if (resource === 'customers') {
      if (method === 'POST' && !rid) {
        const c = { id: id('cus'), object: 'customer', email: p.email ?? null, metadata: p.metadata ?? {} };
        this.customers.set(c.id, c);
        return c;
      }
      const c = this.customers.get(rid);
      if (!c) throw this.missing('customer', rid);
      return c;
    }
    if (resource === 'subscriptions') {
      if (method === 'POST' && !rid) return this.createSubscription(p);
      const s = this.subscriptions.get(rid);
      if (!s) throw this.missing('subscription', rid);
      if (method === 'GET') return s;
      if (method === 'DELETE') {
        s.status = 'canceled';
        this.emit('customer.subscription.deleted', s);
        return s;
      }
      if (method === 'POST') return this.updateSubscription(s, p);
    }
    throw new StripeHttpError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path})`,
    });
  }

  private missing(kind: string, rid: string) {
    return new StripeHttpError(404, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'id',
      message: `No such ${kind}: '${rid}'`,
    });
  }

  private createPaymentIntent(p: Obj): Obj {
    const amount = Number(p.amount);
    if (!Number.isInteger(amount) || amount < 50) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'amount_too_small',
        param: 'amount',
        message: 'Amount must be at least 50 cents',
      });
    }
    const pid = id('pi');
    const pi: Obj = {
      id: pid,
      object: 'payment_intent',
      amount,
      currency: p.currency,
      status: 'requires_payment_method',
      client_secret: `${pid}_secret_${randomBytes(8).toString('hex')}`,
      metadata: p.metadata ?? {},
      latest_charge: null,
      last_payment_error: null,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
    };
    this.paymentIntents.set(pid, pi);
    return pi;
  }

  /** Decline → 402 card_error (or 400 for an unknown method); acceptance → succeeded + charge. */
  private confirm(pi: Obj, paymentMethod: string): Obj {
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `This PaymentIntent's status is ${String(pi.status)}.`,
        payment_intent: pi,
      });
    }
    const decline = DECLINES[paymentMethod];
    if (decline) {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { type: 'card_error', ...decline };
      this.emit('payment_intent.payment_failed', pi);
      throw new StripeHttpError(402, { type: 'card_error', ...decline, payment_intent: pi });
    }
    if (paymentMethod === 'pm_card_authenticationRequired') {
      // 3-D Secure: the buyer must act in Stripe.js, with the client_secret
      Object.assign(pi, {
        status: 'requires_action',
        payment_method: paymentMethod,
        next_action: { type: 'use_stripe_sdk' },
      });
      return pi;
    }
    if (!ACCEPTED.has(paymentMethod)) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'payment_method',
        message: `No such PaymentMethod: '${paymentMethod}'`,
      });
    }
    const charge = {
      id: id('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_refunded: 0,
      currency: pi.currency,
      payment_intent: pi.id,
      refunded: false,
      status: 'succeeded',
    };
    this.charges.set(charge.id, charge);
    Object.assign(pi, {
      status: 'succeeded',
      latest_charge: charge.id,
      payment_method: paymentMethod,
      last_payment_error: null,
    });
    this.emit('payment_intent.succeeded', pi);
    return pi;
  }

  private refund(p: Obj): Obj {
    const pi = this.paymentIntents.get(String(p.payment_intent));
    if (!pi) throw this.missing('payment_intent', String(p.payment_intent));
    const charge = this.charges.get(String(pi.latest_charge));
    if (!charge || charge.refunded) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
        message: 'Charge has already been refunded.',
      });
    }
    const refund = {
      id: id('re'),
      object: 'refund',
      amount: charge.amount,
      payment_intent: pi.id,
      charge: charge.id,
      status: 'succeeded',
      reason: p.reason ?? null,
      metadata: p.metadata ?? {},
    };
    this.refunds.push(refund);
    Object.assign(charge, { refunded: true, amount_refunded: charge.amount });
    this.emit('charge.refunded', charge);
    return refund;
  }

  private createSubscription(p: Obj): Obj {
    const customer = this.customers.get(String(p.customer));
    if (!customer) throw this.missing('customer', String(p.customer));
    const pm = String((p.default_payment_method as string | undefined) ?? '');
    const decline = DECLINES[pm];
    if (decline) throw new StripeHttpError(402, { type: 'card_error', ...decline });
    if (!ACCEPTED.has(pm)) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'default_payment_method',
        message: `No such PaymentMethod: '${pm}'`,
      });
    }
    const items = (p.items as Obj[] | undefined) ?? [];
    const now = Math.floor(Date.now() / 1000);
    const sub: Obj = {
      id: id('sub'),
      object: 'subscription',
      customer: customer.id,
      status: 'active',
      metadata: p.metadata ?? {},
      cancel_at_period_end: false,
      items: {
        object: 'list',
        data: items.map((i) => ({
          id: id('si'),
          object: 'subscription_item',
          price: { id: i.price, object: 'price' },
          current_period_start: now,
          current_period_end: now + 30 * 86400,
        })),
      },
    };
    this.subscriptions.set(String(sub.id), sub);
    this.emit('customer.subscription.created', sub);
    return sub;
  }

  private updateSubscription(sub: Obj, p: Obj): Obj {
    const items = (p.items as Obj[] | undefined) ?? [];
    const data = (sub.items as { data: Obj[] }).data;
    for (const i of items) {
      const existing = data.find((d) => d.id === i.id);
      if (existing && i.price) existing.price = { id: i.price, object: 'price' };
    }
    if (p.cancel_at_period_end !== undefined) sub.cancel_at_period_end = p.cancel_at_period_end === 'true';
    this.emit('customer.subscription.updated', sub);
    return sub;
  }

  private createAccount(p: Obj): Obj {
    const acct: Obj = {
      id: id('acct'),
      object: 'account',
      type: p.type ?? 'express',
      country: p.country ?? 'US',
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      capabilities: { transfers: 'inactive' },
      requirements: {
        currently_due: ['external_account', 'tos_acceptance.date'],
        disabled_reason: 'requirements.past_due',
      },
      metadata: p.metadata ?? {},
    };
    this.accounts.set(String(acct.id), acct);
    return acct;
  }

  /**
   * What Stripe does when a connected account finishes onboarding (`ready`), or is restricted:
   * the account changes, then account.updated (sent to the Connect endpoint).
   */
  setAccountReady(accountId: string, ready: boolean): Stripe.Event {
    const acct = this.accounts.get(accountId)!;
    Object.assign(acct, {
      charges_enabled: ready,
      payouts_enabled: ready,
      details_submitted: true,
      capabilities: { transfers: ready ? 'active' : 'inactive' },
      requirements: ready
        ? { currently_due: [], disabled_reason: null }
        : { currently_due: ['individual.verification.document'], disabled_reason: 'requirements.past_due' },
    });
    return this.emit('account.updated', acct);
  }

  /** A connected account's balance: transfers in, reversals out, and any adjustment (payouts made). */
  accountBalance(accountId: string): number {
    let sum = this.accountBalanceAdjust.get(accountId) ?? 0;
    for (const t of this.transfers.values()) {
      if (t.destination === accountId) sum += Number(t.amount) - Number(t.amount_reversed);
    }
    return sum;
  }

  private createTransfer(p: Obj): Obj {
    const acct = this.accounts.get(String(p.destination));
    if (!acct) throw this.missing('account', String(p.destination));
    if ((acct.capabilities as Obj).transfers !== 'active') {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'insufficient_capabilities_for_transfer',
        message:
          'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      });
    }
    if (typeof p.source_transaction === 'string') {
      const charge = this.charges.get(p.source_transaction);
      if (!charge) throw this.missing('charge', p.source_transaction);
      if (Number(p.amount) > Number(charge.amount)) {
        throw new StripeHttpError(400, {
          type: 'invalid_request_error',
          code: 'transfer_source_balance_parameters_mismatch',
          message: 'The amount exceeds the source transaction.',
        });
      }
    }
    const tr: Obj = {
      id: id('tr'),
      object: 'transfer',
      amount: Number(p.amount),
      amount_reversed: 0,
      currency: p.currency,
      destination: acct.id,
      source_transaction: p.source_transaction ?? null,
      transfer_group: p.transfer_group ?? null,
      metadata: p.metadata ?? {},
      reversed: false,
      created: Math.floor(Date.now() / 1000),
    };
    this.transfers.set(String(tr.id), tr);
    return tr;
  }

  /** Stripe refuses a reversal the connected account's balance cannot cover. */
  private reverseTransfer(tr: Obj, p: Obj): Obj {
    const amount = p.amount === undefined ? Number(tr.amount) - Number(tr.amount_reversed) : Number(p.amount);
    if (amount > Number(tr.amount) - Number(tr.amount_reversed)) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'transfer_reversal_amount_too_large',
        message: 'The reversal amount exceeds what is left of the transfer.',
      });
    }
    if (amount > this.accountBalance(String(tr.destination))) {
      throw new StripeHttpError(400, {
        type: 'invalid_request_error',
        code: 'balance_insufficient',
        message: 'The connected account has insufficient funds to cover this reversal.',
      });
    }
    const rev = {
      id: id('trr'),
      object: 'transfer_reversal',
      amount,
      transfer: tr.id,
      metadata: p.metadata ?? {},
    };
    tr.amount_reversed = Number(tr.amount_reversed) + amount;
    tr.reversed = tr.amount_reversed === tr.amount;
    this.reversals.push(rev);
    return rev;
  }

  /** What Stripe does when a dispute ends: its status (won or lost), then charge.dispute.closed. */
  closeDispute(disputeId: string, status: 'won' | 'lost'): Stripe.Event {
    const dp = this.disputes.get(disputeId)!;
    dp.status = status;
    return this.emit('charge.dispute.closed', dp);
  }

  /** What Stripe does when the card holder disputes a payment: the dispute, then its event. */
  dispute(paymentIntentId: string): Stripe.Event {
    const pi = this.paymentIntents.get(paymentIntentId)!;
    const dp = {
      id: id('dp'),
      object: 'dispute',
      charge: pi.latest_charge,
      payment_intent: pi.id,
      amount: pi.amount,
      reason: 'fraudulent',
      status: 'needs_response',
    };
    this.disputes.set(dp.id, dp);
    return this.emit('charge.dispute.created', dp);
  }

  /** What Stripe does when a subscription ends: canceled, then the deleted event. */
  cancelSubscription(subscriptionId: string): Stripe.Event {
    const sub = this.subscriptions.get(subscriptionId)!;
    sub.status = 'canceled';
    return this.emit('customer.subscription.deleted', sub);
  }

  /** What Stripe sends when a renewal charge fails: the invoice event, then the subscription past due. */
  failRenewal(subscriptionId: string): Stripe.Event[] {
    const sub = this.subscriptions.get(subscriptionId)!;
    const invoice = this.emit('invoice.payment_failed', {
      id: id('in'),
      object: 'invoice',
      subscription: sub.id,
      customer: sub.customer,
      parent: { subscription_details: { subscription: sub.id } },
    });
    sub.status = 'past_due';
    return [invoice, this.emit('customer.subscription.updated', sub)];
  }
}
