import { request as httpRequest } from 'node:http';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import { gracefulShutdown, Lifecycle } from '../../src/platform/health/lifecycle';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser } from '../support/users';

/** GET /health/ready: 503 while starting, 200 while serving, 503 while draining; shutdown ends event streams. */
describe('readiness and drain', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 service_unavailable before the server listens', async () => {
    // (the same log sink: Nest's static loggers write to the newest app's logger)
    const app = await createApp(loadConfig(t.env), { logDestination: t.logs });
    try {
      const res = await app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: '/api/v1/health/ready' });
      expect(res.statusCode).toBe(503);
      const body = JSON.parse(res.body) as { code: string; message: string };
      expect(body.code).toBe('service_unavailable');
      expect(body.message).toMatch(/starting/);
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await app.close();
    }
  });

  it('answers 200 while serving, and liveness stays separate', async () => {
    const res = await t.http.get('/api/v1/health/ready').expect(200);
    expect(res.body).toEqual({ status: 'ready' });
    await t.http.get('/api/v1/health').expect(200);
  });

  it('drains: readiness 503, event streams end, the in-flight request is answered, then the app is closed', async () => {
    const user = await registerUser(t);
    const stream = await new Promise<{ ended: Promise<void> }>((resolve, reject) => {
      const req = httpRequest(`${t.url}/api/v1/me/events`, { headers: user.auth }, (res) => {
        expect(res.statusCode).toBe(200);
        const ended = new Promise<void>((r) => res.on('end', () => r()).on('close', () => r()));
        res.once('data', () => resolve({ ended }));
        res.resume();
      });
      req.on('error', reject);
      req.end();
    });
    const slow = new Promise<{ status: number; body: string }>((resolve, reject) => {
      httpRequest(`${t.url}/api/v1/__test/sleep?ms=1500`, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
    // the hook logs once the request is in its handler
    while (!t.logs.entries().some((e) => /sleeping 1500 ms/.test(String(e.msg)))) {
      await new Promise((r) => setTimeout(r, 20));
    }

    t.app.get(Lifecycle).markDraining();
    expectError(await t.http.get('/api/v1/health/ready'), 503, 'service_unavailable');

    await gracefulShutdown(t.app);
    await stream.ended;
    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({ slept: 1500 });
    // nothing had to be cut: the answered connection and the ended stream closed by themselves
    expect(t.logs.entries().some((e) => /cutting their connections/.test(String(e.msg)))).toBe(false);
  });
});
