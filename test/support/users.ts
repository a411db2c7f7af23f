import type { TestApp } from './test-app';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `Authorization` header */
  auth: { Authorization: string };
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') =>
  `${prefix}-${process.pid}-${Date.now()}-${++counter}@test.local`;

/** Registers, confirms the email through the real mail, and signs in. */
export async function registerUser(
  t: TestApp,
  opts: { email?: string; password?: string; name?: string } = {},
): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail();
  const password = opts.password ?? 'correct-horse-battery';
  const reg = await t.http
    .post('/api/v1/auth/register')
    .send({ email, password, display_name: opts.name ?? 'Test User' })
    .expect(201);
  const token = await mailToken(t, email, /confirm/i);
  await t.http.post('/api/v1/auth/verify-email').send({ token }).expect(200);
  const session = await login(t, email, password);
  return { id: (reg.body as { id: string }).id, email, password, ...session };
}

/**
 * The token of the newest matching mail, running queued jobs until it arrives (another test's
 * concurrent drain may be the one delivering it).
 */
export async function mailToken(t: TestApp, email: string, subject: RegExp): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    await t.drain();
    try {
      return t.mail.tokenFor(email, subject);
    } catch (err) {
      if (attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function login(t: TestApp, email: string, password: string) {
  const res = await t.http.post('/api/v1/auth/login').send({ email, password }).expect(200);
  const body = res.body as { access_token: string; refresh_token: string };
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    auth: { Authorization: `Bearer ${body.access_token}` },
  };
}

/** The admin from ADMIN_EMAIL / ADMIN_PASSWORD (ensured at boot). */
export async function loginAdmin(t: TestApp): Promise<TestUser> {
  const email = t.env.ADMIN_EMAIL;
  const password = t.env.ADMIN_PASSWORD;
  const session = await login(t, email, password);
  const me = await t.http.get('/api/v1/me').set(session.auth).expect(200);
  return { id: (me.body as { id: string }).id, email, password, ...session };
}
