import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { expectError } from '../support/expect-error';
import { sourceFiles } from '../support/source-files';
import { startTestApp, TestApp } from '../support/test-app';
import { login, loginAdmin, registerUser, TestUser } from '../support/users';

/**
 * Request tokens and beat requests. The clock starts one hour into a fresh UTC month, so the
 * tests below never cross a month boundary by accident; the rollover tests cross it on purpose.
 */
describe('request tokens and beat requests', () => {
  let t: TestApp;
  let db: Client;
  let admin: TestUser;

  const VALID = {
    description: 'Dark trap beat with heavy 808s',
    reference_track_url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    duration_hours: 24,
  };

  const now = async () => new Date((await t.http.get('/api/v1/__test/clock').expect(200)).body.now as string);
  /** Moves the clock to the next 1st of the month, 00:00 UTC, plus `plus` seconds. */
  const toNextMonth = async (plus: number) => {
    const at = await now();
    const next = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    await t.advanceClock(Math.ceil((next - at.getTime()) / 1000) + plus);
  };
  const create = (u: TestUser, body: Record<string, unknown> = VALID) =>
    t.http.post('/api/v1/beat-requests').set(u.auth).send(body);
  const tokens = async (u: TestUser) =>
    (await t.http.get('/api/v1/me/request-tokens').set(u.auth).expect(200)).body as {
      balance: number;
      monthly_allowance: number;
      period: string;
      resets_at: string;
      ledger: { kind: string; amount: number; request_id: string | null }[];
    };
  const ledgerSum = async (userId: string) =>
    (
      await db.query<{ s: number }>(
        'SELECT COALESCE(SUM(amount), 0)::int AS s FROM token_ledger WHERE user_id = $1',
        [userId],
      )
    ).rows[0].s;
  /** Admin plan override (the admin signs in again: the clock may have outrun their token). */
  const setPlan = async (u: TestUser, plan: string) => {
    admin = await loginAdmin(t);
    await t.http.put(`/api/v1/admin/users/${u.id}/plan`).set(admin.auth).send({ plan }).expect(200);
  };
  /** Moves the clock; the users named sign in again (access tokens expire by the same clock). */
  const advance = async (seconds: number, ...users: TestUser[]) => {
    await t.advanceClock(seconds);
    for (const u of users) Object.assign(u, await login(t, u.email, u.password));
  };
  const userOnPlan = async (plan: string) => {
    const u = await registerUser(t);
    if (plan !== 'explorer') await setPlan(u, plan);
    return u;
  };

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    admin = await loginAdmin(t);
    await toNextMonth(3600);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  describe('tokens', () => {
    it('gives an explorer one token a month, as a ledger whose sum is the balance', async () => {
      const u = await registerUser(t);
      const at = await now();
      const body = await tokens(u);
      expect(body).toMatchObject({
        balance: 1,
        monthly_allowance: 1,
        period: at.toISOString().slice(0, 7),
        resets_at: new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1)).toISOString(),
        ledger: [{ kind: 'grant', amount: 1, request_id: null }],
      });
      // reading twice grants nothing more
      expect((await tokens(u)).balance).toBe(1);
      expect(await ledgerSum(u.id)).toBe(1);
    });

    it('follows the plan: plus 3, pro 5, classic 1; a change resets to the new allowance', async () => {
      const u = await registerUser(t);
      await create(u).expect(201);
      expect((await tokens(u)).balance).toBe(0);
      await setPlan(u, 'pro');
      expect(await tokens(u)).toMatchObject({ balance: 5, monthly_allowance: 5 });
      await create(u, { ...VALID, duration_hours: 48 }).expect(201);
      await setPlan(u, 'plus');
      const plus = await tokens(u);
      expect(plus).toMatchObject({ balance: 3, monthly_allowance: 3 });
      // the leftover 3 is reset before the new grant
      expect(plus.ledger.slice(0, 2)).toMatchObject([
        { kind: 'grant', amount: 3 },
        { kind: 'reset', amount: -3 },
      ]);
      await setPlan(u, 'classic');
      expect(await tokens(u)).toMatchObject({ balance: 1, monthly_allowance: 1 });
      expect(await ledgerSum(u.id)).toBe(1);
      expect((await tokens(u)).ledger.reduce((s, e) => s + e.amount, 0)).toBe(1);
    });
  });

  describe('creating', () => {
    it('validates description and reference link with their own codes, before tokens', async () => {
      const u = await registerUser(t);
      await create(u).expect(201); // balance 0 now
      expectError(await create(u, { ...VALID, description: '  too short ' }), 422, 'description_too_short');
      expectError(await create(u, { ...VALID, description: undefined }), 422, 'description_too_short');
      expectError(
        await create(u, { ...VALID, reference_track_url: undefined }),
        422,
        'reference_track_required',
      );
      expectError(await create(u, { ...VALID, reference_track_url: '  ' }), 422, 'reference_track_required');
      for (const url of [
        'https://example.com/watch?v=1',
        'ftp://youtube.com/watch?v=1',
        'youtube.com/watch?v=1',
        'https://notyoutube.com/x',
        `https://youtube.com/watch?v=${'x'.repeat(500)}`,
      ]) {
        expectError(await create(u, { ...VALID, reference_track_url: url }), 422, 'invalid_reference_track');
      }
      // several problems: the first rule's code
      expectError(
        await create(u, { ...VALID, description: 'short', reference_track_url: 'https://example.com' }),
        422,
        'description_too_short',
      );
      const bad = await create(u, { ...VALID, duration_hours: 12 });
      expectError(bad, 422, 'validation_failed');
      expect(bad.body.errors.duration_hours).toBeDefined();
      expectError(await create(u, { ...VALID, bpm_min: 140, bpm_max: 90 }), 422, 'validation_failed');
      expectError(await create(u, { ...VALID, description: 'x'.repeat(501) }), 422, 'validation_failed');
      // valid input, no tokens left
      expectError(await create(u), 429, 'no_tokens_remaining');
      const rows = await db.query('SELECT 1 FROM beat_requests WHERE owner_id = $1', [u.id]);
      expect(rows.rowCount).toBe(1);
    });

    it('accepts YouTube, Spotify, SoundCloud and Apple Music links', async () => {
      const u = await userOnPlan('pro');
      for (const url of [
        'https://youtu.be/dQw4w9WgXcQ',
        'https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC',
        'https://soundcloud.com/artist/track',
        'https://music.apple.com/us/album/x/123',
        'http://m.youtube.com/watch?v=1',
      ]) {
        await create(u, { ...VALID, reference_track_url: url }).expect(201);
      }
    });

    it('costs 1, 2 or 3 tokens; no_tokens_remaining at 0, insufficient_tokens below the cost', async () => {
      const u = await userOnPlan('pro');
      const at = await now();
      const big = await create(u, {
        ...VALID,
        duration_hours: 72,
        title: 'Need a beat',
        genres: ['trap', 'drill'],
        bpm_min: 130,
        bpm_max: 150,
        key: 'F minor',
        mood: 'dark',
      }).expect(201);
      expect(big.body).toMatchObject({
        owner_id: u.id,
        title: 'Need a beat',
        genres: ['trap', 'drill'],
        bpm_min: 130,
        bpm_max: 150,
        key: 'F minor',
        duration_hours: 72,
        token_cost: 3,
        status: 'active',
        renewals: 0,
        submission_count: 0,
      });
      expect(Date.parse(big.body.expires_at) - at.getTime()).toBeGreaterThanOrEqual(72 * 3600_000);
      expect((await tokens(u)).balance).toBe(2);
      expectError(await create(u, { ...VALID, duration_hours: 72 }), 429, 'insufficient_tokens');
      await create(u, { ...VALID, duration_hours: 48 }).expect(201);
      expectError(await create(u, { ...VALID, duration_hours: 24 }), 429, 'no_tokens_remaining');
      const ledger = (await tokens(u)).ledger;
      expect(ledger.filter((e) => e.kind === 'debit').map((e) => e.amount)).toEqual([-2, -3]);
      expect(ledger.find((e) => e.amount === -3)?.request_id).toBe(big.body.id);
      expect(await ledgerSum(u.id)).toBe(0);
    });

    it('replays a retried creation (Idempotency-Key) without charging twice', async () => {
      const u = await userOnPlan('plus');
      const first = await create(u).set('Idempotency-Key', 'req-1').expect(201);
      const again = await create(u).set('Idempotency-Key', 'req-1').expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      expect((await tokens(u)).balance).toBe(2);
    });

    it('spends exactly the balance when 30 creations race (balance 5)', async () => {
      const u = await userOnPlan('pro');
      const results = await Promise.all(Array.from({ length: 30 }, () => create(u)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      for (const r of results.filter((r) => r.status !== 201)) expectError(r, 429, 'no_tokens_remaining');
      expect((await tokens(u)).balance).toBe(0);
      expect(await ledgerSum(u.id)).toBe(0);
      const rows = await db.query('SELECT 1 FROM beat_requests WHERE owner_id = $1', [u.id]);
      expect(rows.rowCount).toBe(5);
    });

    it('never goes negative when mixed costs race', async () => {
      const u = await userOnPlan('pro');
      const durations = Array.from({ length: 30 }, (_, i) => [24, 48, 72][i % 3]);
      const results = await Promise.all(durations.map((d) => create(u, { ...VALID, duration_hours: d })));
      const spent = results
        .map((r, i) => (r.status === 201 ? durations[i] / 24 : 0))
        .reduce((a, b) => a + b, 0);
      const { balance } = await tokens(u);
      // a refusal says what the balance was at its turn: 0 (no_tokens_remaining, and it stays 0),
      // or below its cost (insufficient_tokens, never for a 1-token request)
      results.forEach((r, i) => {
        if (r.status === 201) return;
        if (durations[i] === 24 || r.body.code === 'no_tokens_remaining') {
          expectError(r, 429, 'no_tokens_remaining');
          expect(balance).toBe(0);
        } else expectError(r, 429, 'insufficient_tokens');
      });
      expect(balance).toBeGreaterThanOrEqual(0);
      expect(balance).toBe(5 - spent);
      expect(await ledgerSum(u.id)).toBe(balance);
      const rows = await db.query<{ s: number }>(
        'SELECT COALESCE(SUM(token_cost), 0)::int AS s FROM beat_requests WHERE owner_id = $1',
        [u.id],
      );
      expect(rows.rows[0].s).toBe(spent);
    });
  });

  describe('reading', () => {
    it('lists active, expired and mine, newest first, and reads one', async () => {
      const u = await userOnPlan('pro');
      const a = await create(u, { ...VALID, title: 'first' }).expect(201);
      const b = await create(u, { ...VALID, title: 'second', duration_hours: 48 }).expect(201);
      const mine = await t.http.get('/api/v1/beat-requests?mine=true').set(u.auth).expect(200);
      expect(mine.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.id, a.body.id]);
      const paged = await t.http.get('/api/v1/beat-requests?mine=true&limit=1').set(u.auth).expect(200);
      expect(paged.body.data).toHaveLength(1);
      const next = await t.http
        .get(`/api/v1/beat-requests?mine=true&limit=1&cursor=${paged.body.next_cursor}`)
        .set(u.auth)
        .expect(200);
      expect(next.body.data[0].id).toBe(a.body.id);
      // anyone can browse and read
      const all = await t.http.get('/api/v1/beat-requests?limit=100').expect(200);
      expect(all.body.data.map((r: { id: string }) => r.id)).toContain(a.body.id);
      await t.http.get(`/api/v1/beat-requests/${a.body.id}`).expect(200);
      expectError(await t.http.get('/api/v1/beat-requests?mine=true'), 401, 'unauthenticated');
      expectError(await t.http.get('/api/v1/beat-requests?status=old'), 422, 'validation_failed');
      expectError(
        await t.http.get('/api/v1/beat-requests/req_00000000000000000000000000'),
        404,
        'request_not_found',
      );

      await advance(25 * 3600, u);
      const expired = await t.http
        .get('/api/v1/beat-requests?status=expired&mine=true')
        .set(u.auth)
        .expect(200);
      expect(expired.body.data.map((r: { id: string }) => r.id)).toEqual([a.body.id]);
      expect(expired.body.data[0].status).toBe('expired');
      const active = await t.http.get('/api/v1/beat-requests?mine=true').set(u.auth).expect(200);
      expect(active.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.id]);
    });
  });

  describe('deleting', () => {
    it('is the creator’s; an active request refunds its tokens, capped at the allowance', async () => {
      const u = await userOnPlan('pro');
      const other = await registerUser(t);
      const r = await create(u, { ...VALID, duration_hours: 72 }).expect(201);
      expectError(
        await t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set(other.auth),
        403,
        'not_request_owner',
      );
      // deleting refunds the creator: it stays the creator's act, admins included
      expectError(
        await t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set((await loginAdmin(t)).auth),
        403,
        'not_request_owner',
      );
      await t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set(u.auth).expect(204);
      const after = await tokens(u);
      expect(after.balance).toBe(5);
      expect(after.ledger[0]).toMatchObject({ kind: 'refund', amount: 3, request_id: r.body.id });
      expectError(await t.http.get(`/api/v1/beat-requests/${r.body.id}`), 404, 'request_not_found');
      expectError(
        await t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set(u.auth),
        404,
        'request_not_found',
      );

      // the cap: after a plan change refilled the balance, the refund only fills up to the allowance
      const s = await create(u, { ...VALID, duration_hours: 72 }).expect(201);
      await setPlan(u, 'plus');
      expect((await tokens(u)).balance).toBe(3);
      await t.http.delete(`/api/v1/beat-requests/${s.body.id}`).set(u.auth).expect(204);
      expect((await tokens(u)).balance).toBe(3);
      expect(await ledgerSum(u.id)).toBe(3);
    });

    it('refunds what the live window cost: a renewed request gives back the renewal', async () => {
      await toNextMonth(3600); // the whole story inside one month
      const u = await userOnPlan('pro');
      const r = await create(u, { ...VALID, duration_hours: 72 }).expect(201);
      await advance(72 * 3600 + 1, u);
      await t.http
        .post(`/api/v1/beat-requests/${r.body.id}/renew`)
        .set(u.auth)
        .send({ duration_hours: 24 })
        .expect(200);
      expect((await tokens(u)).balance).toBe(1);
      await t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set(u.auth).expect(204);
      const after = await tokens(u);
      expect(after.ledger[0]).toMatchObject({ kind: 'refund', amount: 1, request_id: r.body.id });
      expect(after.balance).toBe(2);
      expect(await ledgerSum(u.id)).toBe(2);
    });

    it('refunds nothing for an expired request', async () => {
      const u = await userOnPlan('plus');
      const r = await create(u).expect(201);
      await advance(24 * 3600 + 1, u);
      await t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set(u.auth).expect(204);
      expect((await tokens(u)).balance).toBe(2);
      expect(await ledgerSum(u.id)).toBe(2);
    });

    it('refunds once when the creator deletes twice at the same moment', async () => {
      const u = await userOnPlan('pro');
      const r = await create(u, { ...VALID, duration_hours: 72 }).expect(201);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => t.http.delete(`/api/v1/beat-requests/${r.body.id}`).set(u.auth)),
      );
      expect(results.filter((x) => x.status === 204)).toHaveLength(1);
      for (const x of results.filter((x) => x.status !== 204)) expectError(x, 404, 'request_not_found');
      expect((await tokens(u)).balance).toBe(5);
      expect(await ledgerSum(u.id)).toBe(5);
    });
  });

  describe('renewing', () => {
    it('renews an expired request for one token; checks in order', async () => {
      const u = await userOnPlan('plus');
      const poor = await registerUser(t);
      const other = await registerUser(t);
      const r = await create(u).expect(201);
      const p = await create(poor).expect(201);
      const renew = (who: TestUser, id: string, hours = 48) =>
        t.http.post(`/api/v1/beat-requests/${id}/renew`).set(who.auth).send({ duration_hours: hours });

      expectError(await renew(u, 'req_00000000000000000000000000'), 404, 'request_not_found');
      expectError(await renew(other, r.body.id), 403, 'not_request_owner');
      expectError(await renew(await loginAdmin(t), r.body.id), 403, 'not_request_owner');
      expectError(await renew(u, r.body.id), 409, 'request_still_active');
      expectError(await renew(u, r.body.id, 36), 422, 'validation_failed');

      await advance(24 * 3600 + 1, u, poor);
      expectError(await renew(poor, p.body.id), 429, 'no_token_for_renewal');
      const before = (await now()).getTime();
      const renewed = await renew(u, r.body.id).expect(200);
      const after = (await now()).getTime();
      expect(renewed.body).toMatchObject({ status: 'active', renewals: 1, duration_hours: 24 });
      const expiresAt = Date.parse(renewed.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 48 * 3600_000);
      expect(expiresAt).toBeLessThanOrEqual(after + 48 * 3600_000);
      const spent = await tokens(u);
      expect(spent.balance).toBe(1);
      expect(spent.ledger[0]).toMatchObject({ kind: 'debit', amount: -1, request_id: r.body.id });
      expectError(await renew(u, r.body.id), 409, 'request_still_active');
    });

    it('renews once when the creator renews many times at the same moment', async () => {
      const u = await userOnPlan('pro');
      const r = await create(u).expect(201);
      await advance(24 * 3600 + 1, u);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.http.post(`/api/v1/beat-requests/${r.body.id}/renew`).set(u.auth).send({ duration_hours: 24 }),
        ),
      );
      expect(results.filter((x) => x.status === 200)).toHaveLength(1);
      for (const x of results.filter((x) => x.status !== 200)) expectError(x, 409, 'request_still_active');
      expect((await tokens(u)).balance).toBe(3);
    });
  });

  describe('the monthly reset', () => {
    it('grants the allowance exactly once, also when requests race across the boundary', async () => {
      const explorer = await registerUser(t);
      const pro = await userOnPlan('pro');
      await create(explorer).expect(201);
      await create(pro, { ...VALID, duration_hours: 72 }).expect(201); // 2 left over
      const before = await tokens(pro);

      await toNextMonth(1);
      await advance(0, explorer, pro);
      const [fromExplorer, fromPro] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, () => create(explorer))),
        Promise.all(Array.from({ length: 15 }, () => create(pro))),
      ]);
      expect(fromExplorer.filter((r) => r.status === 201)).toHaveLength(1);
      expect(fromPro.filter((r) => r.status === 201)).toHaveLength(5); // the 2 left over expired
      for (const r of [...fromExplorer, ...fromPro].filter((r) => r.status !== 201)) {
        expectError(r, 429, 'no_tokens_remaining');
      }

      const after = await tokens(pro);
      expect(after.period).not.toBe(before.period);
      expect(after.balance).toBe(0);
      expect(after.ledger.filter((e) => e.kind === 'grant')).toEqual([
        expect.objectContaining({ amount: 5 }),
      ]);
      expect(after.ledger.reduce((s, e) => s + e.amount, 0)).toBe(0);
      const closed = await db.query<{ kind: string; amount: number }>(
        'SELECT kind, amount FROM token_ledger WHERE user_id = $1 AND period = $2 ORDER BY id',
        [pro.id, before.period],
      );
      expect(closed.rows.at(-1)).toEqual({ kind: 'reset', amount: -2 });
      expect(closed.rows.reduce((s, e) => s + e.amount, 0)).toBe(0);
      for (const u of [explorer, pro]) {
        const grants = await db.query(
          "SELECT 1 FROM token_ledger WHERE user_id = $1 AND kind = 'grant' AND period = $2",
          [u.id, after.period],
        );
        expect(grants.rowCount).toBe(1);
        expect(await ledgerSum(u.id)).toBe((await tokens(u)).balance);
      }
    });

    it('lets a request be renewed for 30 days after it expires, not longer', async () => {
      const u = await userOnPlan('pro');
      const late = await create(u).expect(201);
      const inTime = await create(u).expect(201);
      await advance(24 * 3600 + 30 * 86_400 - 60, u);
      await t.http
        .post(`/api/v1/beat-requests/${inTime.body.id}/renew`)
        .set(u.auth)
        .send({ duration_hours: 24 })
        .expect(200);
      await t.advanceClock(120);
      expectError(
        await t.http
          .post(`/api/v1/beat-requests/${late.body.id}/renew`)
          .set(u.auth)
          .send({ duration_hours: 24 }),
        410,
        'renewal_window_expired',
      );
    });
  });

  it('takes tokens with one statement, written once: a creation and a renewal both run it', () => {
    const src = join(__dirname, '..', '..', 'src');
    const debits = sourceFiles(src).flatMap((f) =>
      (readFileSync(f, 'utf8').match(/UPDATE token_balances SET balance = balance -/g) ?? []).map(() =>
        relative(src, f),
      ),
    );
    expect(debits).toEqual([join('modules', 'beat-requests', 'request-tokens.repository.ts')]);
  });
});
