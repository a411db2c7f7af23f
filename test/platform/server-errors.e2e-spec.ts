import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import type { LogSink } from '../support/log-sink';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser } from '../support/users';
import type { Response } from 'supertest';

/**
 * Every 5xx-class catalogue code, answered by an app running the production logger: the client
 * gets the code itself (not internal_error), and the log holds one error line for the request
 * with the cause. (service_unavailable during an outage: database-outage.e2e-spec.ts.)
 */
function expectLoggedCause(logs: LogSink, res: Response, code: string, cause?: RegExp): void {
  const lines = logs.errors(res.headers['x-request-id']);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ code, msg: `request failed with ${code}` });
  expect(lines[0].err?.stack).toEqual(expect.any(String));
  if (cause) expect(lines[0].err?.message).toMatch(cause);
}

describe('5xx-class codes with the production logger', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('maintenance_mode keeps its code and Retry-After, anonymous and signed in, and is logged', async () => {
    const admin = await loginAdmin(t);
    const user = await registerUser(t);
    await t.http.put('/api/v1/admin/maintenance').set(admin.auth).send({ enabled: true }).expect(200);
    try {
      for (const res of [await t.http.get('/api/v1/tracks'), await t.http.get('/api/v1/me').set(user.auth)]) {
        expectError(res, 503, 'maintenance_mode');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expectLoggedCause(t.logs, res, 'maintenance_mode', /maintenance/i);
      }
    } finally {
      await t.http.put('/api/v1/admin/maintenance').set(admin.auth).send({ enabled: false }).expect(200);
    }
  });

  it('request_timeout keeps its code past the deadline and is logged (an app with a short deadline)', async () => {
    const short = await startTestApp({ REQUEST_TIMEOUT_MS: '300' });
    try {
      // the harness's own hooks (jobs, clock) are exempt: setup never races the deadline
      await short.drain();
      const res = await short.http.get('/api/v1/__test/sleep?ms=700');
      expectError(res, 504, 'request_timeout');
      expectLoggedCause(short.logs, res, 'request_timeout');
    } finally {
      await short.close();
    }
  });

  it('internal_error logs the real cause, never answers it', async () => {
    const res = await t.http.get('/api/v1/__test/boom');
    expectError(res, 500, 'internal_error');
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2/);
    expectLoggedCause(t.logs, res, 'internal_error', /secret internal detail/);
  });
});

describe('payment 5xx codes with the production logger', () => {
  let c: CommerceApp;

  beforeAll(async () => {
    c = await startCommerceApp();
  });
  afterAll(() => c?.close());

  it('payment_initialization_failed and payment_processing_error keep their codes and log the Stripe cause', async () => {
    const { track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const create = () =>
      c.t.http
        .post('/api/v1/purchases')
        .set(buyer.auth)
        .send({ track_id: track.id, license_type: 'basic', expected_price_cents: 2999 });

    for (let i = 0; i < 3; i++) c.stripe.failNext('POST /v1/payment_intents', 500);
    const failed = await create();
    expectError(failed, 502, 'payment_initialization_failed');
    expectLoggedCause(c.t.logs, failed, 'payment_initialization_failed', /unknown error occurred/);

    const started = await create();
    expect(started.status).toBe(201);
    for (let i = 0; i < 3; i++) c.stripe.failNext('POST /v1/payment_intents/:id/confirm', 500);
    const confirm = await c.t.http
      .post(`/api/v1/purchases/${started.body.id as string}/confirm`)
      .set(buyer.auth)
      .send({ payment_method: 'pm_card_visa' });
    expectError(confirm, 500, 'payment_processing_error');
    expectLoggedCause(c.t.logs, confirm, 'payment_processing_error', /unknown error occurred/);
  });
});
