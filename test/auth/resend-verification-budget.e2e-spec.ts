import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { uniqueEmail } from '../support/users';

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status);

/**
 * POST /auth/resend-verification mails an address on a stranger's say-so, like forgot-password:
 * it spends the same per-address budget (LIMIT_RATE_PASSWORD_RESET_PER_MINUTE, 3 here), so an
 * address cannot be flooded with mails by alternating the two routes, and answers its limit the
 * same way: 429 too_many_requests with Retry-After.
 */
describe('resend-verification budget', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LIMIT_RATE_PASSWORD_RESET_PER_MINUTE: '3' });
  });
  afterAll(() => t?.close());

  /** Just past the start of the next minute window (windows are named by the application clock). */
  const freshWindow = async () => {
    const now = Date.parse(
      ((await t.http.get('/api/v1/__test/clock').expect(200)).body as { now: string }).now,
    );
    await t.advanceClock((60_000 - (now % 60_000) + 100) / 1000);
  };
  const resend = (email: string) => t.http.post('/api/v1/auth/resend-verification').send({ email });
  const forgot = (email: string) => t.http.post('/api/v1/auth/forgot-password').send({ email });

  it('limits verification mails per address, then answers as forgot-password does', async () => {
    // an account waiting for its verification: the route mails it each time
    const email = uniqueEmail('pending');
    await t.http
      .post('/api/v1/auth/register')
      .send({ email, password: 'correct-horse-battery', display_name: 'Pending' })
      .expect(201);
    await freshWindow();
    const responses = [await resend(email), await resend(email), await resend(email), await resend(email)];
    expect(statuses(responses)).toEqual([202, 202, 202, 429]);
    expectError(responses[3], 429, 'too_many_requests');
    expect(Number(responses[3].headers['retry-after'])).toBeGreaterThan(0);
    expect(responses[3].body.retry_after).toBe(Number(responses[3].headers['retry-after']));
    expect(responses[3].headers['x-ratelimit-remaining']).toBe('0');
    // the same shape as forgot-password's own refusal for that address
    const forgotLimited = await forgot(email);
    expectError(forgotLimited, 429, 'too_many_requests');
    expect(Object.keys(forgotLimited.body).sort()).toEqual(Object.keys(responses[3].body).sort());
    // the address's letter case or spaces do not make another budget
    expectError(await resend(`  ${email.toUpperCase()} `), 429, 'too_many_requests');
    // another address has its own
    await resend(uniqueEmail('other')).expect(202);
    // and the next window a new one
    await freshWindow();
    await resend(email).expect(202);
  });

  it('shares the budget with forgot-password: alternating the two routes buys no extra mail', async () => {
    const email = uniqueEmail('alternating');
    await freshWindow();
    expect(
      statuses([await forgot(email), await resend(email), await forgot(email), await resend(email)]),
    ).toEqual([202, 202, 202, 429]);
  });
});
