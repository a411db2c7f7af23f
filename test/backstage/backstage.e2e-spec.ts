import { Client } from 'pg';
import type { Response } from 'supertest';
import { createArtist } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser, TestUser } from '../support/users';

describe('backstage (producer program)', () => {
  let t: TestApp;
  let db: Client;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    admin = await loginAdmin(t);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const UNKNOWN_REQUEST = 'bsr_01jaaaaaaaaaaaaaaaaaaaaaaa';
  const UNKNOWN_ARTIST = 'art_01jaaaaaaaaaaaaaaaaaaaaaaa';
  let slugCounter = 0;
  const slug = (prefix: string) =>
    `${prefix}-${Date.now().toString(36)}-${++slugCounter}-${Math.random().toString(36).slice(2, 6)}`;

  const person = { first_name: 'Ada', last_name: 'Lovelace' };
  const become = () => ({ type: 'become-artist', ...person, beats_link: 'https://example.com/beats' });
  const verifyArtist = (artistId: string) => ({ type: 'verify-artist', ...person, artist_id: artistId });
  const claim = (artistId: string) => ({
    type: 'claim-artist',
    ...person,
    artist_id: artistId,
    beats_link: 'https://example.com/my-beats',
  });

  const submit = (user: TestUser, body: Record<string, unknown>) =>
    t.http.post('/api/v1/backstage/requests').set(user.auth).send(body);
  const eligibility = async (user: TestUser) =>
    (await t.http.get('/api/v1/backstage/eligibility').set(user.auth).expect(200)).body as {
      can_submit: boolean;
      block_reason: string | null;
      message: string | null;
      contact_url: string;
      blocking_request_id: string | null;
    };
  const ownList = async (user: TestUser) =>
    (await t.http.get('/api/v1/backstage/requests').set(user.auth).expect(200)).body as {
      data: Record<string, unknown>[];
      next_cursor: string | null;
    };
  const decide = (action: 'approve' | 'deny' | 'revoke', id: string, notes?: string) =>
    t.http
      .post(`/api/v1/admin/backstage/requests/${id}/${action}`)
      .set(admin.auth)
      .send(notes === undefined ? {} : { notes });
  const artist = async (idOrSlug: string) =>
    (await t.http.get(`/api/v1/artists/${idOrSlug}`).expect(200)).body as { id: string; verified: boolean };
  const created = async (res: Response) => {
    if (res.status !== 201) throw new Error(`expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; status: string; user_id: string; type: string };
  };

  /** Every type of request, for a user who owns `ownArtistId` and may claim `otherArtistId`. */
  const everyType = (ownArtistId: string, otherArtistId: string) => [
    become(),
    verifyArtist(ownArtistId),
    claim(otherArtistId),
  ];

  describe('eligibility and validation', () => {
    it('lets a fresh verified user submit', async () => {
      const u = await registerUser(t);
      const e = await eligibility(u);
      expect(e).toEqual({
        can_submit: true,
        block_reason: null,
        message: null,
        contact_url: expect.stringMatching(/\/contact$/),
        blocking_request_id: null,
      });
      expect(await ownList(u)).toEqual({ data: [], next_cursor: null });
    });

    it('refuses a user whose permission an admin revoked', async () => {
      const u = await registerUser(t);
      const res = await t.http
        .put(`/api/v1/admin/users/${u.id}/permissions`)
        .set(admin.auth)
        .send({ grant: [], revoke: ['backstage_requests.create'] })
        .expect(200);
      expect(res.body.permissions).toEqual([]);

      const e = await eligibility(u);
      expect(e).toMatchObject({
        can_submit: false,
        block_reason: 'missing_permission',
        blocking_request_id: null,
        contact_url: expect.stringMatching(/\/contact$/),
      });
      expect(typeof e.message).toBe('string');

      const own = await createArtist(t, u, slug('noperm'));
      for (const body of [become(), verifyArtist(own.id), claim(own.id)]) {
        expectError(await submit(u, body), 403, 'forbidden');
      }
      expect((await ownList(u)).data).toEqual([]);

      // granted back: allowed again
      await t.http
        .put(`/api/v1/admin/users/${u.id}/permissions`)
        .set(admin.auth)
        .send({ grant: ['backstage_requests.create'] })
        .expect(200);
      expect((await eligibility(u)).can_submit).toBe(true);
    });

    it('validates the fields each type needs and creates nothing when they are missing', async () => {
      const u = await registerUser(t);
      const own = await createArtist(t, u, slug('val'));
      const invalid: Record<string, unknown>[] = [
        { type: 'become-artist', ...person },
        { type: 'claim-artist', ...person, artist_id: own.id },
        { type: 'verify-artist', ...person },
        { type: 'claim-artist', ...person, beats_link: 'https://example.com/b' },
        { type: 'become-artist', ...person, beats_link: 'ftp://example.com/beats' },
        { type: 'become-artist', ...person, beats_link: 'not a url' },
        { type: 'become-artist', first_name: 'Ada', beats_link: 'https://example.com/b' },
        { type: 'become-artist', ...person, first_name: '   ', beats_link: 'https://example.com/b' },
        { type: 'become-a-star', ...person, beats_link: 'https://example.com/b' },
        { ...person, beats_link: 'https://example.com/b' },
      ];
      for (const body of invalid) {
        const res = await submit(u, body);
        expectError(res, 422, 'validation_failed');
      }
      const missingLink = await submit(u, { type: 'become-artist', ...person });
      expect(Object.keys(missingLink.body.errors ?? {})).toContain('beats_link');
      const missingArtist = await submit(u, { type: 'verify-artist', ...person });
      expect(Object.keys(missingArtist.body.errors ?? {})).toContain('artist_id');
      const badType = await submit(u, { type: 'nope', ...person, beats_link: 'https://example.com/b' });
      expect(Object.keys(badType.body.errors ?? {})).toContain('type');

      expect((await ownList(u)).data).toEqual([]);
      expect(await eligibility(u)).toMatchObject({ can_submit: true, block_reason: null });
      const rows = await db.query('SELECT count(*)::int AS n FROM backstage_requests WHERE user_id = $1', [
        u.id,
      ]);
      expect(rows.rows[0].n).toBe(0);
    });

    it('verify-artist only for your own artist; unknown artists are artist_not_found', async () => {
      const u = await registerUser(t);
      const other = await registerUser(t);
      const othersArtist = await createArtist(t, other, slug('others'));

      expectError(await submit(u, verifyArtist(othersArtist.id)), 403, 'forbidden');
      expectError(await submit(u, verifyArtist(othersArtist.slug)), 403, 'forbidden');
      expectError(await submit(u, verifyArtist(UNKNOWN_ARTIST)), 404, 'artist_not_found');
      expectError(await submit(u, verifyArtist(slug('ghost'))), 404, 'artist_not_found');
      expectError(await submit(u, claim(UNKNOWN_ARTIST)), 404, 'artist_not_found');
      expectError(await submit(u, claim(slug('ghost'))), 404, 'artist_not_found');
      expect((await ownList(u)).data).toEqual([]);

      // a slug names the artist too; the request stores its id
      const mine = await createArtist(t, u, slug('mine'));
      const req = await created(await submit(u, verifyArtist(mine.slug)));
      expect(req).toMatchObject({ type: 'verify-artist', status: 'pending', artist_id: mine.id });
      await decide('deny', req.id).expect(200);
    });
  });

  describe('blocking', () => {
    it('a pending request blocks every type until an admin denies it', async () => {
      const u = await registerUser(t);
      const other = await registerUser(t);
      const own = await createArtist(t, u, slug('pend'));
      const othersArtist = await createArtist(t, other, slug('pend-other'));

      const res = await submit(u, { ...become(), message: '  hello there  ' });
      const req = await created(res);
      expect(res.body).toMatchObject({
        user_id: u.id,
        type: 'become-artist',
        status: 'pending',
        first_name: 'Ada',
        last_name: 'Lovelace',
        beats_link: 'https://example.com/beats',
        artist_id: null,
        message: 'hello there',
        decided_by: null,
        decided_at: null,
        decision_notes: null,
      });
      expect(req.id).toMatch(/^bsr_[0-9a-hjkmnp-tv-z]{26}$/);

      for (const body of everyType(own.id, othersArtist.id)) {
        const blocked = await submit(u, body);
        expectError(blocked, 409, 'backstage_request_pending');
        expect(blocked.body.blocking_request_id).toBe(req.id);
      }
      // pending is checked before the artist
      expectError(await submit(u, verifyArtist(UNKNOWN_ARTIST)), 409, 'backstage_request_pending');

      expect(await eligibility(u)).toMatchObject({
        can_submit: false,
        block_reason: 'request_pending',
        blocking_request_id: req.id,
        contact_url: expect.stringMatching(/\/contact$/),
      });

      const denied = await decide('deny', req.id, '  not enough beats yet  ').expect(200);
      expect(denied.body).toMatchObject({
        id: req.id,
        status: 'denied',
        decided_by: admin.id,
        decision_notes: 'not enough beats yet',
      });
      expect(typeof denied.body.decided_at).toBe('string');

      expect(await eligibility(u)).toMatchObject({ can_submit: true, block_reason: null });
      const again = await created(await submit(u, verifyArtist(own.id)));
      expect(again).toMatchObject({ type: 'verify-artist', status: 'pending' });

      const own_ = await ownList(u);
      expect(own_.data.map((r) => r.id)).toEqual([again.id, req.id]);
      expect(own_.data[1]).toMatchObject({ status: 'denied', decision_notes: 'not enough beats yet' });
      expect(own_.data[0]).toMatchObject({ status: 'pending', decision_notes: null, artist_id: own.id });
      expect(own_.next_cursor).toBeNull();

      // another user's requests are not in the list
      expect((await ownList(other)).data).toEqual([]);
    });

    it('a revoked request blocks every type for good', async () => {
      const u = await registerUser(t);
      const other = await registerUser(t);
      const own = await createArtist(t, u, slug('rev'));
      const othersArtist = await createArtist(t, other, slug('rev-other'));

      const req = await created(await submit(u, become()));
      const revoked = await decide('revoke', req.id, 'fake portfolio').expect(200);
      expect(revoked.body).toMatchObject({ id: req.id, status: 'revoked', decision_notes: 'fake portfolio' });

      for (const body of everyType(own.id, othersArtist.id)) {
        const blocked = await submit(u, body);
        expectError(blocked, 409, 'backstage_request_revoked');
        expect(blocked.body.blocking_request_id).toBe(req.id);
        expect(blocked.body.contact_url).toMatch(/\/contact$/);
      }
      // revoked is checked before the artist
      expectError(await submit(u, claim(UNKNOWN_ARTIST)), 409, 'backstage_request_revoked');

      const e = await eligibility(u);
      expect(e).toMatchObject({
        can_submit: false,
        block_reason: 'request_revoked',
        blocking_request_id: req.id,
        contact_url: expect.stringMatching(/\/contact$/),
      });
      expect(typeof e.message).toBe('string');
      expect((await ownList(u)).data).toHaveLength(1);

      // a revoked request cannot be decided again
      expectError(await decide('approve', req.id), 409, 'stale_version');
      expectError(await decide('deny', req.id), 409, 'stale_version');
      expectError(await decide('revoke', req.id), 409, 'stale_version');
    });

    it('missing permission comes before a pending or revoked request', async () => {
      const u = await registerUser(t);
      const req = await created(await submit(u, become()));
      await t.http
        .put(`/api/v1/admin/users/${u.id}/permissions`)
        .set(admin.auth)
        .send({ grant: [], revoke: ['backstage_requests.create'] })
        .expect(200);
      expectError(await submit(u, become()), 403, 'forbidden');
      expect(await eligibility(u)).toMatchObject({ block_reason: 'missing_permission' });
      await decide('revoke', req.id).expect(200);
      expectError(await submit(u, become()), 403, 'forbidden');
    });

    it('a pending request takes precedence over a revoked one', async () => {
      const u = await registerUser(t);
      const a = await created(await submit(u, become()));
      await decide('approve', a.id, 'welcome').expect(200);
      const c = await created(await submit(u, become()));
      const revoked = await decide('revoke', a.id, 'changed our mind').expect(200);
      expect(revoked.body).toMatchObject({ id: a.id, status: 'revoked' });

      const blocked = await submit(u, become());
      expectError(blocked, 409, 'backstage_request_pending');
      expect(blocked.body.blocking_request_id).toBe(c.id);
      expect(await eligibility(u)).toMatchObject({
        block_reason: 'request_pending',
        blocking_request_id: c.id,
      });

      // once the pending one is denied, the revoked one blocks
      await decide('deny', c.id).expect(200);
      expectError(await submit(u, become()), 409, 'backstage_request_revoked');
      expect(await eligibility(u)).toMatchObject({
        block_reason: 'request_revoked',
        blocking_request_id: a.id,
      });
    });

    it('keeps one pending request per user under concurrent submissions', async () => {
      const u = await registerUser(t);
      // more than the connection pool holds: requests queued on the user's lock must not starve it
      const results = await Promise.all(Array.from({ length: 40 }, () => submit(u, become())));
      const ok = results.filter((r) => r.status === 201);
      expect(ok).toHaveLength(1);
      const rest = results.filter((r) => r.status !== 201);
      expect(rest).toHaveLength(39);
      for (const r of rest) expectError(r, 409, 'backstage_request_pending');

      const rows = await db.query<{ id: string }>(
        "SELECT id FROM backstage_requests WHERE user_id = $1 AND status = 'pending'",
        [u.id],
      );
      expect(rows.rows.map((r) => r.id)).toEqual([ok[0].body.id]);
      const all = await db.query('SELECT count(*)::int AS n FROM backstage_requests WHERE user_id = $1', [
        u.id,
      ]);
      expect(all.rows[0].n).toBe(1);
    });
  });

  describe('admin decisions', () => {
    it('approving verify-artist verifies the caller’s artist; revoking takes it back', async () => {
      const u = await registerUser(t);
      const own = await createArtist(t, u, slug('verify'));
      expect((await artist(own.id)).verified).toBe(false);

      const req = await created(await submit(u, { ...verifyArtist(own.id), message: 'it is me' }));
      const approved = await decide('approve', req.id, 'identity checked').expect(200);
      expect(approved.body).toMatchObject({
        id: req.id,
        status: 'approved',
        type: 'verify-artist',
        artist_id: own.id,
        decided_by: admin.id,
        decision_notes: 'identity checked',
      });
      expect((await artist(own.id)).verified).toBe(true);
      expect((await artist(own.slug)).verified).toBe(true);

      // approved: neither pending nor revoked, so the user may apply again
      expect(await eligibility(u)).toMatchObject({ can_submit: true });

      // only a pending request can be approved or denied
      expectError(await decide('approve', req.id), 409, 'stale_version');
      expectError(await decide('deny', req.id), 409, 'stale_version');

      const revoked = await decide('revoke', req.id, 'impersonation report').expect(200);
      expect(revoked.body).toMatchObject({
        id: req.id,
        status: 'revoked',
        decision_notes: 'impersonation report',
      });
      expect((await artist(own.id)).verified).toBe(false);

      const audit = await t.http
        .get(`/api/v1/admin/audit-log?target_id=${req.id}`)
        .set(admin.auth)
        .expect(200);
      expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual([
        'backstage.revoke',
        'backstage.approve',
      ]);
      expect(audit.body.data[0]).toMatchObject({
        actor_id: admin.id,
        target_type: 'backstage_request',
        target_id: req.id,
        reason: 'impersonation report',
        data: { user_id: u.id, type: 'verify-artist', from: 'approved' },
      });
      expect(audit.body.data[1]).toMatchObject({
        actor_id: admin.id,
        target_type: 'backstage_request',
        reason: 'identity checked',
        data: { user_id: u.id, type: 'verify-artist', from: 'pending' },
      });
    });

    it('leaves a revoked request’s artist unverified when approve and revoke race', async () => {
      for (let round = 0; round < 10; round++) {
        const u = await registerUser(t);
        const own = await createArtist(t, u, slug('race'));
        const req = await created(await submit(u, verifyArtist(own.id)));
        const [approve, revoke] = await Promise.all([decide('approve', req.id), decide('revoke', req.id)]);
        expect(revoke.status).toBe(200);
        // either the approval came first (and the revoke took it back) or it found the request revoked
        if (approve.status !== 200) expectError(approve, 409, 'stale_version');
        expect((await artist(own.id)).verified).toBe(false);
        const audit = await t.http
          .get(`/api/v1/admin/audit-log?target_id=${req.id}&action=backstage.revoke`)
          .set(admin.auth)
          .expect(200);
        expect(audit.body.data[0].data.from).toBe(approve.status === 200 ? 'approved' : 'pending');
      }
    });

    it('approving claim-artist verifies the claimed artist, not the claimant’s own', async () => {
      const claimant = await registerUser(t);
      const owner = await registerUser(t);
      const claimantsArtist = await createArtist(t, claimant, slug('claimant'));
      const claimed = await createArtist(t, owner, slug('claimed'));

      const req = await created(await submit(claimant, claim(claimed.slug)));
      expect(req).toMatchObject({ type: 'claim-artist', artist_id: claimed.id, user_id: claimant.id });
      await decide('approve', req.id, 'proof of ownership').expect(200);
      expect((await artist(claimed.id)).verified).toBe(true);
      expect((await artist(claimantsArtist.id)).verified).toBe(false);

      const audit = await t.http
        .get(`/api/v1/admin/audit-log?action=backstage.approve&target_id=${req.id}`)
        .set(admin.auth)
        .expect(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0]).toMatchObject({
        action: 'backstage.approve',
        reason: 'proof of ownership',
        data: { user_id: claimant.id, type: 'claim-artist', from: 'pending' },
      });
    });

    it('become-artist approval and pending revocation touch no artist', async () => {
      const u = await registerUser(t);
      const own = await createArtist(t, u, slug('become'));
      const a = await created(await submit(u, become()));
      await decide('approve', a.id).expect(200);
      expect((await artist(own.id)).verified).toBe(false);

      // revoking a pending verify request leaves the artist as it was
      const v = await created(await submit(u, verifyArtist(own.id)));
      await decide('revoke', v.id, 'pending revoke').expect(200);
      expect((await artist(own.id)).verified).toBe(false);
    });

    it('refuses decisions on denied requests and unknown ids', async () => {
      const u = await registerUser(t);
      const req = await created(await submit(u, become()));
      const denied = await decide('deny', req.id, 'too early').expect(200);
      expect(denied.body.status).toBe('denied');

      const stale = await decide('approve', req.id, 'oops');
      expectError(stale, 409, 'stale_version');
      expect(stale.body.status).toBe('denied');
      expectError(await decide('deny', req.id), 409, 'stale_version');
      expectError(await decide('revoke', req.id), 409, 'stale_version');

      for (const action of ['approve', 'deny', 'revoke'] as const) {
        expectError(await decide(action, UNKNOWN_REQUEST, 'x'), 404, 'backstage_request_not_found');
      }
      expectError(await decide('approve', 'not-an-id'), 400, 'bad_request');

      // the refused decisions left no audit entries
      const audit = await t.http
        .get(`/api/v1/admin/audit-log?target_id=${req.id}`)
        .set(admin.auth)
        .expect(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0]).toMatchObject({ action: 'backstage.deny', reason: 'too early' });
      const own = await ownList(u);
      expect(own.data[0]).toMatchObject({ status: 'denied', decision_notes: 'too early' });
    });

    it('records every decision in the audit log with its notes', async () => {
      const u1 = await registerUser(t);
      const u2 = await registerUser(t);
      const u3 = await registerUser(t);
      const r1 = await created(await submit(u1, become()));
      const r2 = await created(await submit(u2, become()));
      const r3 = await created(await submit(u3, become()));
      await decide('approve', r1.id, 'notes for approve').expect(200);
      await decide('deny', r2.id, 'notes for deny').expect(200);
      await decide('revoke', r3.id, 'notes for revoke').expect(200);

      for (const [action, id, notes] of [
        ['backstage.approve', r1.id, 'notes for approve'],
        ['backstage.deny', r2.id, 'notes for deny'],
        ['backstage.revoke', r3.id, 'notes for revoke'],
      ]) {
        const audit = await t.http
          .get(`/api/v1/admin/audit-log?action=${action}`)
          .set(admin.auth)
          .expect(200);
        const entries = audit.body.data as { action: string; target_id: string; reason: string | null }[];
        expect(entries.every((e) => e.action === action)).toBe(true);
        const entry = entries.find((e) => e.target_id === id);
        expect(entry).toMatchObject({
          action,
          actor_id: admin.id,
          target_type: 'backstage_request',
          target_id: id,
          reason: notes,
        });
      }

      // without notes the reason is null
      const u4 = await registerUser(t);
      const r4 = await created(await submit(u4, become()));
      await decide('deny', r4.id).expect(200);
      const audit = await t.http
        .get(`/api/v1/admin/audit-log?target_id=${r4.id}`)
        .set(admin.auth)
        .expect(200);
      expect(audit.body.data).toEqual([expect.objectContaining({ action: 'backstage.deny', reason: null })]);
    });

    it('lists requests for admins, filtered by status', async () => {
      const u1 = await registerUser(t);
      const u2 = await registerUser(t);
      const pending = await created(await submit(u1, become()));
      const toDeny = await created(await submit(u2, become()));
      await decide('deny', toDeny.id).expect(200);

      const all = await t.http.get('/api/v1/admin/backstage/requests?limit=100').set(admin.auth).expect(200);
      const allIds = (all.body.data as { id: string }[]).map((r) => r.id);
      expect(allIds).toEqual(expect.arrayContaining([pending.id, toDeny.id]));

      const onlyPending = await t.http
        .get('/api/v1/admin/backstage/requests?status=pending&limit=100')
        .set(admin.auth)
        .expect(200);
      const pendingRows = onlyPending.body.data as { id: string; status: string }[];
      expect(pendingRows.length).toBeGreaterThan(0);
      expect(pendingRows.every((r) => r.status === 'pending')).toBe(true);
      expect(pendingRows.map((r) => r.id)).toContain(pending.id);
      expect(pendingRows.map((r) => r.id)).not.toContain(toDeny.id);

      const onlyDenied = await t.http
        .get('/api/v1/admin/backstage/requests?status=denied&limit=100')
        .set(admin.auth)
        .expect(200);
      const deniedRows = onlyDenied.body.data as { id: string; status: string }[];
      expect(deniedRows.every((r) => r.status === 'denied')).toBe(true);
      expect(deniedRows.map((r) => r.id)).toContain(toDeny.id);
      expect(deniedRows.map((r) => r.id)).not.toContain(pending.id);

      expectError(
        await t.http.get('/api/v1/admin/backstage/requests?status=bogus').set(admin.auth),
        422,
        'validation_failed',
      );
    });

    it('hides the admin routes from everyone else', async () => {
      const u = await registerUser(t);
      const req = await created(await submit(u, become()));
      const routes: [string, string][] = [
        ['get', '/api/v1/admin/backstage/requests'],
        ['get', '/api/v1/admin/backstage/requests?status=pending'],
        ['post', `/api/v1/admin/backstage/requests/${req.id}/approve`],
        ['post', `/api/v1/admin/backstage/requests/${req.id}/deny`],
        ['post', `/api/v1/admin/backstage/requests/${req.id}/revoke`],
      ];
      const call = (method: string, path: string) =>
        (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path);
      for (const [method, path] of routes) {
        expectError(await call(method, path).set(u.auth).send({}), 404, 'route_not_found');
        expectError(await call(method, path).send({}), 404, 'route_not_found');
      }
      // still pending: nothing happened
      expect((await ownList(u)).data[0]).toMatchObject({ id: req.id, status: 'pending', decided_by: null });
    });

    it('approves once under concurrent approvals', async () => {
      const u = await registerUser(t);
      const own = await createArtist(t, u, slug('race'));
      const req = await created(await submit(u, verifyArtist(own.id)));

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => decide('approve', req.id, `approval ${i}`)),
      );
      const ok = results.filter((r) => r.status === 200);
      expect(ok).toHaveLength(1);
      expect(ok[0].body).toMatchObject({ id: req.id, status: 'approved' });
      const rest = results.filter((r) => r.status !== 200);
      expect(rest).toHaveLength(9);
      for (const r of rest) expectError(r, 409, 'stale_version');

      expect((await artist(own.id)).verified).toBe(true);
      const audit = await t.http
        .get(`/api/v1/admin/audit-log?target_id=${req.id}&action=backstage.approve`)
        .set(admin.auth)
        .expect(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0].reason).toBe(ok[0].body.decision_notes);
    });
  });
});
