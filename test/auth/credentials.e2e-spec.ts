import { Client } from 'pg';
import request from 'supertest';
import { buy, CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { upload } from '../support/catalog';
import { piece, wav } from '../support/audio';
import { expectError } from '../support/expect-error';
import { login, loginAdmin, mailToken, registerUser, TestUser } from '../support/users';

/**
 * Sessions, personal access tokens and signed links end when they should, and token scopes hold
 * on every route that acts for the caller, public ones included.
 */
describe('credentials and token scopes', () => {
  let c: CommerceApp;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    c = await startCommerceApp();
  });
  afterAll(() => c?.close());

  const pat = async (user: TestUser, scopes?: string[]) =>
    (
      await c.t.http
        .post('/api/v1/me/access-tokens')
        .set(user.auth)
        .send({ name: 'a token', ...(scopes ? { scopes } : {}) })
        .expect(201)
    ).body.token as string;

  const follow = (url: string) => {
    const u = new URL(url);
    return request(c.t.url).get(`${u.pathname}${u.search}`);
  };

  describe('sessions and tokens end when they should', () => {
    it('a password reset ends the personal access tokens too', async () => {
      const user = await registerUser(c.t);
      const token = await pat(user);
      await c.t.http.get('/api/v1/me').set(bearer(token)).expect(200);
      await c.t.http.post('/api/v1/auth/forgot-password').send({ email: user.email }).expect(202);
      const reset = await mailToken(c.t, user.email, /reset/i);
      await c.t.http
        .post('/api/v1/auth/reset-password')
        .send({ token: reset, password: 'brand-new-password' })
        .expect(204);
      expectError(await c.t.http.get('/api/v1/me').set(bearer(token)), 401, 'unauthenticated');
      expectError(await c.t.http.get('/api/v1/me').set(user.auth), 401, 'unauthenticated');
    });

    it('a password change (only a session may make one) ends the other sessions and every token', async () => {
      const user = await registerUser(c.t);
      const token = await pat(user, ['account:read', 'account:write']);
      const otherSession = await login(c.t, user.email, user.password);
      await c.t.http
        .patch('/api/v1/me')
        .set(user.auth)
        .send({ current_password: user.password, new_password: 'another-password-1' })
        .expect(200);
      await c.t.http.get('/api/v1/me').set(user.auth).expect(200);
      expectError(await c.t.http.get('/api/v1/me').set(bearer(token)), 401, 'unauthenticated');
      expectError(await c.t.http.get('/api/v1/me').set(otherSession.auth), 401, 'unauthenticated');
    });

    it('logout with a personal access token revokes that token', async () => {
      const user = await registerUser(c.t);
      const token = await pat(user, ['catalog:read']);
      await c.t.http.post('/api/v1/auth/logout').set(bearer(token)).expect(204);
      expectError(await c.t.http.get('/api/v1/tracks').set(bearer(token)), 401, 'unauthenticated');
      // the user's session is not touched
      await c.t.http.get('/api/v1/me').set(user.auth).expect(200);
    });

    it('a personal access token cannot mint tokens, not even with account:write', async () => {
      const user = await registerUser(c.t);
      const token = await pat(user, ['account:read', 'account:write']);
      expectError(
        await c.t.http
          .post('/api/v1/me/access-tokens')
          .set(bearer(token))
          .send({ name: 'fresh one', scopes: ['account:read'], expires_in_days: 365 }),
        403,
        'forbidden',
      );
    });

    it("a suspended holder's already-signed download link stops working", async () => {
      const { track } = await trackForSale(c.t);
      const buyer = await registerUser(c.t);
      const { confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
      const link = await c.t.http
        .post(`/api/v1/licenses/${confirmed.body.license_id}/download-links`)
        .set(buyer.auth)
        .expect(201);
      const admin = await loginAdmin(c.t);
      await c.t.http
        .post(`/api/v1/admin/users/${buyer.id}/suspend`)
        .set(admin.auth)
        .send({ reason: 'chargeback fraud' })
        .expect(200);
      expectError(await follow(link.body.url), 403, 'account_suspended');
      await c.t.http
        .post(`/api/v1/admin/users/${buyer.id}/reinstate`)
        .set(admin.auth)
        .send({ note: 'resolved' })
        .expect(200);
      await follow(link.body.url).expect(200);
    });

    it('an expired access token is token_expired on public routes too; anonymous routes ignore it', async () => {
      const user = await registerUser(c.t);
      await c.t.advanceClock(3600 + 1);
      expectError(await c.t.http.get('/api/v1/beat-requests?mine=true').set(user.auth), 401, 'token_expired');
      expectError(await c.t.http.get('/api/v1/tracks').set(user.auth), 401, 'token_expired');
      // a client that sends its stale token along still refreshes
      const refreshed = await c.t.http
        .post('/api/v1/auth/refresh')
        .set(user.auth)
        .send({ refresh_token: user.refreshToken })
        .expect(200);
      await c.t.http
        .get('/api/v1/beat-requests?mine=true')
        .set(bearer(refreshed.body.access_token))
        .expect(200);
      // a token that is not ours is refused rather than ignored
      expectError(await c.t.http.get('/api/v1/tracks').set(bearer('garbage')), 401, 'unauthenticated');
      await c.t.http.get('/api/v1/health').set(bearer('garbage')).expect(200);
    });
  });

  describe('secrets at rest and locks', () => {
    it('keeps verification and reset tokens out of job payloads: only the mail holds them', async () => {
      const email = `mail-${Date.now()}@test.local`;
      await c.t.http
        .post('/api/v1/auth/register')
        .send({ email, password: 'correct-horse-battery', display_name: 'Mail Test' })
        .expect(201);
      await c.t.http.post('/api/v1/auth/forgot-password').send({ email }).expect(202);
      const queued = await c.db.query(`SELECT data::text AS data FROM pgboss.job WHERE data::text LIKE $1`, [
        '%token=%',
      ]);
      expect(queued.rows).toEqual([]);

      const verify = await mailToken(c.t, email, /confirm/i);
      const reset = await mailToken(c.t, email, /reset/i);
      for (const token of [verify, reset]) {
        const inJobs = await c.db.query(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE data::text LIKE $1`,
          [`%${token}%`],
        );
        expect(inJobs.rows[0].n).toBe(0);
      }
      await c.t.http.post('/api/v1/auth/verify-email').send({ token: verify }).expect(200);
      await c.t.http
        .post('/api/v1/auth/reset-password')
        .send({ token: reset, password: 'another-horse-battery' })
        .expect(204);
    });

    it('PATCH /me does not block rows that reference the user while it changes the password', async () => {
      const user = await registerUser(c.t);
      // what a concurrent login (session insert) or ledger insert holds: a foreign-key check's lock
      const holder = new Client({ connectionString: c.t.databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE', [user.id]);
        const patch = c.t.http
          .patch('/api/v1/me')
          .set(user.auth)
          .send({ current_password: user.password, new_password: 'while-locked-1' })
          .then((r) => r);
        let done: Awaited<typeof patch> | undefined;
        void patch.then((r) => (done = r));
        // either the request finishes, or it is seen waiting on our lock (the defect)
        for (;;) {
          if (done) break;
          const waiting = await c.db.query(
            `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE NOT l.granted AND a.datname = current_database() AND a.pid <> $1`,
            [(await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid],
          );
          if (waiting.rows[0].n > 0) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(done?.status).toBe(200);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      await login(c.t, user.email, 'while-locked-1');
    });
  });

  describe('token scopes apply on every route that acts for the caller', () => {
    it("a requests:read token cannot read its owner's private track; catalog:read can", async () => {
      const owner = await registerUser(c.t);
      const res = await upload(c.t, owner, wav(piece(4242, 2))).expect(201); // pending: owner-only
      expectError(
        await c.t.http.get(`/api/v1/tracks/${res.body.id}`).set(bearer(await pat(owner, ['requests:read']))),
        403,
        'forbidden',
      );
      await c.t.http
        .get(`/api/v1/tracks/${res.body.id}`)
        .set(bearer(await pat(owner, ['catalog:read'])))
        .expect(200);
      // anonymous callers are still served the public catalogue
      await c.t.http.get('/api/v1/tracks').expect(200);
    });

    it('a radio token cannot list the caller’s beat requests; requests:read can', async () => {
      const user = await registerUser(c.t);
      expectError(
        await c.t.http.get('/api/v1/beat-requests?mine=true').set(bearer(await pat(user, ['radio']))),
        403,
        'forbidden',
      );
      await c.t.http
        .get('/api/v1/beat-requests?mine=true')
        .set(bearer(await pat(user, ['requests:read'])))
        .expect(200);
    });

    it('creating a download link needs commerce:write, not commerce:read', async () => {
      const { track } = await trackForSale(c.t);
      const buyer = await registerUser(c.t);
      const { confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
      const url = `/api/v1/licenses/${confirmed.body.license_id}/download-links`;
      expectError(
        await c.t.http.post(url).set(bearer(await pat(buyer, ['commerce:read']))),
        403,
        'forbidden',
      );
      await c.t.http
        .post(url)
        .set(bearer(await pat(buyer, ['commerce:write'])))
        .expect(201);
    });
  });

  describe('probes learn nothing about admin routes', () => {
    it('answers route_not_found for every method under /admin to anyone but an admin', async () => {
      const user = await registerUser(c.t);
      for (const method of ['get', 'delete', 'post', 'put', 'patch'] as const) {
        for (const path of ['/api/v1/admin/users', '/api/v1/admin/nothing-here']) {
          const anonymous = await c.t.http[method](path);
          expectError(anonymous, 404, 'route_not_found');
          expect(anonymous.headers.allow).toBeUndefined();
          const signedIn = await c.t.http[method](path).set(user.auth);
          expectError(signedIn, 404, 'route_not_found');
          expect(signedIn.headers.allow).toBeUndefined();
        }
      }
      const admin = await loginAdmin(c.t);
      const wrongMethod = await c.t.http.delete('/api/v1/admin/users').set(admin.auth);
      expectError(wrongMethod, 405, 'method_not_allowed');
      expect(wrongMethod.headers.allow).toBe('GET');
      expectError(await c.t.http.get('/api/v1/admin/nothing-here').set(admin.auth), 404, 'route_not_found');
    });

    it('the forbidden answer of the producer program does not name the permission', async () => {
      const user = await registerUser(c.t);
      const admin = await loginAdmin(c.t);
      await c.t.http
        .put(`/api/v1/admin/users/${user.id}/permissions`)
        .set(admin.auth)
        .send({ grant: [], revoke: ['backstage_requests.create'] })
        .expect(200);
      const res = await c.t.http.post('/api/v1/backstage/requests').set(user.auth).send({
        type: 'become-artist',
        first_name: 'Ada',
        last_name: 'Lovelace',
        beats_link: 'https://soundcloud.com/ada',
      });
      expectError(res, 403, 'forbidden');
      expect(res.body.message).toBe('You do not have permission to perform this action.');
      expect(JSON.stringify(res.body)).not.toMatch(/backstage_requests/);
    });
  });
});
