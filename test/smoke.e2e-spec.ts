import { startTestApp, TestApp } from './support/test-app';
import { registerUser } from './support/users';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves health and a full register/login flow', async () => {
    await t.http.get('/api/v1/health').expect(200);
    const u = await registerUser(t);
    const me = await t.http.get('/api/v1/me').set(u.auth).expect(200);
    expect(me.body.email).toBe(u.email);
  });
});
