import { Client } from 'pg';
import { expectError } from '../support/expect-error';
import { SseClient } from '../support/social';
import { linkTrack } from '../support/library';
import { startTestApp, TestApp } from '../support/test-app';
import { login, registerUser, TestUser } from '../support/users';

const EDITORS = 2;
const DAY = 86_400;

describe('collaborative playlists', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_PLAYLIST_EDITORS: String(EDITORS) });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const newPlaylist = async (owner: TestUser, visibility = 'private') =>
    (await t.http.post('/api/v1/playlists').set(owner.auth).send({ name: 'Crew', visibility }).expect(201))
      .body.id as string;
  const invite = (owner: TestUser, pl: string, user: TestUser | string) =>
    t.http
      .post(`/api/v1/playlists/${pl}/invitations`)
      .set(owner.auth)
      .send({ user_id: typeof user === 'string' ? user : user.id });
  const respond = (u: TestUser, inv: string, answer: 'accept' | 'decline') =>
    t.http.post(`/api/v1/playlist-invitations/${inv}/${answer}`).set(u.auth);
  /** Moves the clock; access tokens expire with it, so the users sign in again. */
  const advance = async (seconds: number, ...users: TestUser[]) => {
    await t.advanceClock(seconds);
    for (const u of users) Object.assign(u, await login(t, u.email, u.password));
  };
  const removeEditor = (u: TestUser, pl: string, who: TestUser) =>
    t.http.delete(`/api/v1/playlists/${pl}/editors/${who.id}`).set(u.auth);

  it('invites with a mail; the invitee sees the playlist, accepts (idempotently) and edits tracks', async () => {
    const owner = await registerUser(t, { name: 'Olga' });
    const editor = await registerUser(t);
    const pl = await newPlaylist(owner);
    const inv = await invite(owner, pl, editor).set('Idempotency-Key', 'inv-1').expect(201);
    expect(inv.body).toMatchObject({
      playlist_id: pl,
      invitee_id: editor.id,
      inviter_id: owner.id,
      status: 'pending',
    });
    const invitationMails = () => t.mail.to(editor.email).filter((m) => /invited you/.test(m.subject));
    expect(invitationMails()).toEqual([]); // queued with the invitation, sent by the mail job
    await t.drain();
    const mails = invitationMails();
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toContain('Olga');
    expect(mails[0].text).toContain(inv.body.id);

    const listed = await t.http.get('/api/v1/me/playlist-invitations').set(editor.auth).expect(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: inv.body.id, playlist_name: 'Crew' })]);
    const peek = await t.http.get(`/api/v1/playlists/${pl}`).set(editor.auth).expect(200);
    expect(peek.body.role).toBe('viewer');
    expectError(await respond(owner, inv.body.id, 'accept'), 404, 'invitation_not_found');

    const accepted = await respond(editor, inv.body.id, 'accept').expect(200);
    expect(accepted.body.status).toBe('accepted');
    await respond(editor, inv.body.id, 'accept').expect(200);
    expectError(await respond(editor, inv.body.id, 'decline'), 404, 'invitation_not_found');
    const read = await t.http.get(`/api/v1/playlists/${pl}`).set(editor.auth).expect(200);
    expect(read.body.role).toBe('editor');
    expect(read.body.editors).toEqual([{ user_id: editor.id, added_at: expect.any(String) }]);
    const mine = await t.http.get('/api/v1/me/playlists').set(editor.auth).expect(200);
    expect(mine.body.data).toEqual([expect.objectContaining({ id: pl, role: 'editor' })]);

    // editors change tracks; only the owner edits metadata, invites or deletes
    const track = await linkTrack(t, owner);
    await t.http
      .post(`/api/v1/playlists/${pl}/tracks`)
      .set(editor.auth)
      .send({ track_id: track })
      .expect(201);
    expectError(
      await t.http.patch(`/api/v1/playlists/${pl}`).set(editor.auth).send({ name: 'x' }),
      403,
      'forbidden',
    );
    expectError(await t.http.delete(`/api/v1/playlists/${pl}`).set(editor.auth), 403, 'forbidden');
    const other = await registerUser(t);
    expectError(await invite(editor, pl, other), 403, 'forbidden');
    expectError(await removeEditor(other, pl, editor), 404, 'playlist_not_found');
  });

  it('refuses with each documented code, in order', async () => {
    const owner = await registerUser(t);
    const a = await registerUser(t);
    const pl = await newPlaylist(owner);
    expectError(await invite(owner, 'pl_00000000000000000000000000', a), 404, 'playlist_not_found');
    expectError(await invite(owner, pl, owner), 422, 'validation_failed');
    expectError(await invite(owner, pl, 'usr_00000000000000000000000000'), 404, 'user_not_found');
    const first = await invite(owner, pl, a).expect(201);
    expectError(await invite(owner, pl, a), 409, 'already_invited');
    await respond(a, first.body.id, 'accept').expect(200);
    expectError(await invite(owner, pl, a), 409, 'already_invited');
    expectError(await respond(a, 'pli_00000000000000000000000000', 'accept'), 404, 'invitation_not_found');
  });

  it('expires invitations after 7 days by the clock, then cools down for 24 h', async () => {
    const owner = await registerUser(t);
    const a = await registerUser(t);
    const pl = await newPlaylist(owner);
    const inv = await invite(owner, pl, a).expect(201);
    await advance(7 * DAY + 1, owner, a);
    expectError(await respond(a, inv.body.id, 'accept'), 410, 'invitation_expired');
    expectError(await respond(a, inv.body.id, 'decline'), 410, 'invitation_expired');
    const none = await t.http.get('/api/v1/me/playlist-invitations').set(a.auth).expect(200);
    expect(none.body.data).toEqual([]);
    expectError(await t.http.get(`/api/v1/playlists/${pl}`).set(a.auth), 404, 'playlist_not_found');
    // expired 1 s ago: the cooldown runs from the expiry
    const cooling = await invite(owner, pl, a);
    expectError(cooling, 429, 'reinvite_cooldown');
    expect(cooling.body.retry_after).toBeGreaterThan(DAY - 10);
    await advance(DAY, owner, a);
    const again = await invite(owner, pl, a).expect(201);
    // the expired one stays expired
    expectError(await respond(a, inv.body.id, 'accept'), 410, 'invitation_expired');
    await respond(a, again.body.id, 'accept').expect(200);
  });

  it('cools down re-invites after a decline and after a removal; editors may leave', async () => {
    const owner = await registerUser(t);
    const a = await registerUser(t);
    const b = await registerUser(t);
    const pl = await newPlaylist(owner);
    const inv = await invite(owner, pl, a).expect(201);
    const declined = await respond(a, inv.body.id, 'decline').expect(200);
    expect(declined.body.status).toBe('declined');
    await respond(a, inv.body.id, 'decline').expect(200);
    expectError(await respond(a, inv.body.id, 'accept'), 404, 'invitation_not_found');
    expectError(await invite(owner, pl, a), 429, 'reinvite_cooldown');

    const invB = await invite(owner, pl, b).expect(201);
    await respond(b, invB.body.id, 'accept').expect(200);
    const before = (await t.http.get(`/api/v1/playlists/${pl}`).set(owner.auth).expect(200)).body
      .version as number;
    await removeEditor(owner, pl, b).expect(204);
    await removeEditor(owner, pl, b).expect(204);
    const after = await t.http.get(`/api/v1/playlists/${pl}`).set(owner.auth).expect(200);
    expect(after.body.editors).toEqual([]);
    expect(after.body.version).toBe(before + 1);
    expectError(await t.http.get(`/api/v1/playlists/${pl}`).set(b.auth), 404, 'playlist_not_found');
    expectError(await invite(owner, pl, b), 429, 'reinvite_cooldown');

    await advance(DAY + 1, owner, b);
    const back = await invite(owner, pl, b).expect(201);
    await respond(b, back.body.id, 'accept').expect(200);
    // an editor leaves on their own; another editor may not remove them
    const c = await registerUser(t);
    const invC = await invite(owner, pl, c).expect(201);
    await respond(c, invC.body.id, 'accept').expect(200);
    expectError(await removeEditor(c, pl, b), 403, 'forbidden');
    await removeEditor(b, pl, b).expect(204);
    const left = await t.http.get(`/api/v1/playlists/${pl}`).set(owner.auth).expect(200);
    expect(left.body.editors.map((e: { user_id: string }) => e.user_id)).toEqual([c.id]);
  });

  it('counts editors and pending invitations against the cap', async () => {
    const owner = await registerUser(t);
    const [a, b, c] = [await registerUser(t), await registerUser(t), await registerUser(t)];
    const pl = await newPlaylist(owner);
    const inv = await invite(owner, pl, a).expect(201);
    await respond(a, inv.body.id, 'accept').expect(200);
    await invite(owner, pl, b).expect(201);
    expectError(await invite(owner, pl, c), 429, 'max_editors_reached');
    // revoking the pending invitation frees the seat
    await removeEditor(owner, pl, b).expect(204);
    await invite(owner, pl, c).expect(201);
  });

  it('holds the cap under 10 concurrent invitations: exactly 2 pending', async () => {
    const owner = await registerUser(t);
    const pl = await newPlaylist(owner);
    const users: TestUser[] = [];
    for (let i = 0; i < 10; i++) users.push(await registerUser(t));
    const results = await Promise.all(users.map((u) => invite(owner, pl, u)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(EDITORS);
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 429, 'max_editors_reached');
    const pending = await db.query(
      `SELECT count(*)::int AS n FROM playlist_invitations WHERE playlist_id = $1 AND status = 'pending'`,
      [pl],
    );
    expect(pending.rows[0].n).toBe(EDITORS);
  });

  it('holds one pending invitation per user under concurrent invitations of the same user', async () => {
    const owner = await registerUser(t);
    const a = await registerUser(t);
    const pl = await newPlaylist(owner);
    const results = await Promise.all(Array.from({ length: 8 }, () => invite(owner, pl, a)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 409, 'already_invited');
  });

  it('lists the library and collaboration codes at GET /errors and the routes in the OpenAPI document', async () => {
    const codes = ((await t.http.get('/api/v1/errors').expect(200)).body.data as { code: string }[]).map(
      (e) => e.code,
    );
    expect(codes).toEqual(
      expect.arrayContaining([
        'library_full',
        'track_already_saved',
        'playlist_limit_reached',
        'playlist_full',
        'track_already_in_playlist',
        'playlist_not_found',
        'track_set_mismatch',
        'max_editors_reached',
        'invitation_expired',
        'already_invited',
        'reinvite_cooldown',
        'invitation_not_found',
      ]),
    );
    const doc = (await t.http.get('/api/v1/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { 'x-error-codes'?: string[]; description?: string }>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'put /api/v1/library/tracks/{track_id}',
        'delete /api/v1/library/tracks/{track_id}',
        'get /api/v1/library/tracks',
        'post /api/v1/playlists',
        'get /api/v1/playlists/{id}',
        'patch /api/v1/playlists/{id}',
        'delete /api/v1/playlists/{id}',
        'post /api/v1/playlists/{id}/duplicate',
        'post /api/v1/playlists/{id}/tracks',
        'delete /api/v1/playlists/{id}/tracks/{track_id}',
        'put /api/v1/playlists/{id}/tracks/order',
        'post /api/v1/playlists/{id}/tracks/move',
        'post /api/v1/playlists/{id}/invitations',
        'delete /api/v1/playlists/{id}/editors/{user_id}',
        'get /api/v1/me/playlists',
        'get /api/v1/users/{id}/playlists',
        'get /api/v1/me/playlist-invitations',
        'post /api/v1/playlist-invitations/{id}/accept',
        'post /api/v1/playlist-invitations/{id}/decline',
      ]),
    );
    const move = doc.paths['/api/v1/playlists/{id}/tracks/move'].post;
    expect(move['x-error-codes']).toEqual(
      expect.arrayContaining(['playlist_not_found', 'track_set_mismatch']),
    );
    expect(move.description).toMatch(/one SQL statement/);
  });
  describe('with blocks and live delivery', () => {
    const block = (u: TestUser, other: TestUser) =>
      t.http.post(`/api/v1/users/${other.id}/block`).set(u.auth).expect(204);

    it('refuses to invite across a block, either way', async () => {
      const owner = await registerUser(t);
      const other = await registerUser(t);
      const pl = await newPlaylist(owner);
      await block(owner, other);
      expectError(await invite(owner, pl, other), 403, 'you_blocked_user');
      await t.http.delete(`/api/v1/users/${other.id}/block`).set(owner.auth).expect(204);
      await block(other, owner);
      expectError(await invite(owner, pl, other), 403, 'user_blocked_you');
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM playlist_invitations WHERE playlist_id = $1',
        [pl],
      );
      expect(rows[0].n).toBe(0);
    });

    it('a block withdraws open invitations and editorships between the two, both ways', async () => {
      const owner = await registerUser(t);
      const editor = await registerUser(t);
      const invitee = await registerUser(t);
      const mine = await newPlaylist(owner);
      const theirs = await newPlaylist(invitee);
      const accepted = await invite(owner, mine, editor).expect(201);
      await respond(editor, accepted.body.id, 'accept').expect(200);
      const pending = await invite(owner, mine, invitee).expect(201);
      const reverse = await invite(invitee, theirs, owner).expect(201);

      await block(invitee, owner); // the invitee blocks the owner: both invitations between them end
      await block(editor, owner); // the editor blocks the owner: they leave the owner's playlist
      const { rows } = await db.query(
        'SELECT id, status::text FROM playlist_invitations WHERE id = ANY($1) ORDER BY id',
        [[pending.body.id, reverse.body.id]],
      );
      expect(rows.map((r: { status: string }) => r.status)).toEqual(['revoked', 'revoked']);
      expectError(await respond(invitee, pending.body.id, 'accept'), 404, 'invitation_not_found');
      const editors = await db.query('SELECT user_id FROM playlist_editors WHERE playlist_id = $1', [mine]);
      expect(editors.rows).toEqual([]);
      expectError(await t.http.get(`/api/v1/playlists/${mine}`).set(editor.auth), 404, 'playlist_not_found');
    });

    it('delivers a playlist.invitation event to the invitee’s open stream', async () => {
      const owner = await registerUser(t, { name: 'Olga' });
      const invitee = await registerUser(t);
      const pl = await newPlaylist(owner);
      const stream = await SseClient.open(t, invitee);
      const inv = await invite(owner, pl, invitee).expect(201);
      const event = await stream.next();
      stream.close();
      expect(event.event).toBe('playlist.invitation');
      expect(JSON.parse(event.data!)).toMatchObject({
        type: 'playlist.invitation',
        data: { id: inv.body.id, playlist_id: pl, inviter_id: owner.id, status: 'pending' },
      });
    });
  });
});
