import { expectError } from '../support/expect-error';
import { dbQuery, externalTrack, insertUsers } from '../support/social';
import { SmtpSink } from '../support/smtp-sink';
import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status);
const count = (responses: { status: number }[], status: number) =>
  responses.filter((r) => r.status === status).length;

describe('follows, blocks and reposts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      LIMIT_FOLLOWING: '5',
      LIMIT_FOLLOWS_PER_HOUR: '8',
      LIMIT_REPOSTS_PER_HOUR: '3',
      LIMIT_REPOSTS_PER_DAY: '5',
      LIMIT_ACCESS_TOKEN_SECONDS: '86400',
    });
  });
  afterAll(() => t?.close());

  const follow = (u: TestUser, id: string) => t.http.post(`/api/v1/users/${id}/follow`).set(u.auth);
  const unfollow = (u: TestUser, id: string) => t.http.delete(`/api/v1/users/${id}/follow`).set(u.auth);

  describe('follows', () => {
    it('follows and unfollows, with counts on the public profile and both lists newest first', async () => {
      const a = await registerUser(t, { name: 'Ada' });
      const b = await registerUser(t, { name: 'Bo' });
      const c = await registerUser(t, { name: 'Cy' });
      const res = await follow(a, b.id).expect(201);
      expect(res.body).toEqual({ user_id: b.id, following: true, follower_count: 1 });
      await t.advanceClock(1);
      await follow(c, b.id).expect(201);
      await follow(a, c.id).expect(201);

      const profile = await t.http.get(`/api/v1/users/${b.id}`).set(a.auth).expect(200);
      expect(profile.body).toMatchObject({
        id: b.id,
        display_name: 'Bo',
        follower_count: 2,
        following_count: 0,
        is_following: true,
        follows_you: false,
        artist: null,
      });
      const anonymous = await t.http.get(`/api/v1/users/${a.id}`).expect(200);
      expect(anonymous.body).toMatchObject({ following_count: 2, follower_count: 0, is_following: false });

      const followers = await t.http.get(`/api/v1/users/${b.id}/followers?limit=1`).expect(200);
      expect(followers.body.data.map((u: { id: string }) => u.id)).toEqual([c.id]);
      const rest = await t.http
        .get(`/api/v1/users/${b.id}/followers?limit=1&cursor=${followers.body.next_cursor}`)
        .expect(200);
      expect(rest.body).toMatchObject({ data: [{ id: a.id, display_name: 'Ada' }], next_cursor: null });
      const following = await t.http.get(`/api/v1/users/${a.id}/following`).expect(200);
      expect(following.body.data.map((u: { id: string }) => u.id)).toEqual([c.id, b.id]);

      const gone = await unfollow(a, b.id).expect(200);
      expect(gone.body).toEqual({ user_id: b.id, following: false, follower_count: 1 });
      expectError(await unfollow(a, b.id), 404, 'not_following');
    });

    it('answers cannot_follow_self, user_not_found, already_following', async () => {
      const a = await registerUser(t);
      const b = await registerUser(t);
      expectError(await follow(a, a.id), 422, 'cannot_follow_self');
      const ghost = 'usr_01jzzzzzzzzzzzzzzzzzzzzzzz';
      expectError(await follow(a, ghost), 404, 'user_not_found');
      expectError(await unfollow(a, ghost), 404, 'user_not_found');
      expectError(await t.http.get(`/api/v1/users/${ghost}`), 404, 'user_not_found');
      expectError(await t.http.get(`/api/v1/users/${ghost}/followers`), 404, 'user_not_found');
      await follow(a, b.id).expect(201);
      expectError(await follow(a, b.id), 409, 'already_following');
    });

    it('holds the following cap under 20 concurrent follows by a user 3 short of it', async () => {
      await t.advanceClock(3601); // a fresh hour (tokens are minted after it)
      const a = await registerUser(t);
      const [x, y, ...targets] = await insertUsers(t, 22);
      await follow(a, x).expect(201);
      await follow(a, y).expect(201);
      const responses = await Promise.all(targets.map((id) => follow(a, id)));
      expect(count(responses, 201)).toBe(3);
      expect(count(responses, 429)).toBe(17);
      // the cap refused them all (5 spent of the hourly 8: a refused follow spends nothing)
      for (const r of responses.filter((x) => x.status !== 201)) expectError(r, 429, 'follow_limit_reached');
      const [row] = await dbQuery<{ n: number; c: number }>(
        t,
        `SELECT (SELECT count(*)::int FROM follows WHERE follower_id = $1) AS n,
                (SELECT following FROM follow_counts WHERE user_id = $1) AS c`,
        [a.id],
      );
      expect(row).toEqual({ n: 5, c: 5 });
    });

    it('keeps both counters equal to the follows under crosswise concurrent follows (no deadlock)', async () => {
      await t.advanceClock(3601); // a fresh hour (tokens are minted after it)
      // four users each follow the three others, all twelve at once: every follow writes two
      // counter rows, in user-id order whatever the direction
      const users = await Promise.all([1, 2, 3, 4].map(() => registerUser(t)));
      const pairs = users.flatMap((a) => users.filter((b) => b !== a).map((b) => [a, b] as const));
      const responses = await Promise.all(pairs.map(([a, b]) => follow(a, b.id)));
      expect(statuses(responses)).toEqual(pairs.map(() => 201));
      const rows = await dbQuery<{ id: string; following: number; followers: number; f: number; g: number }>(
        t,
        `SELECT u.id, c.following, c.followers,
                (SELECT count(*)::int FROM follows WHERE follower_id = u.id) AS f,
                (SELECT count(*)::int FROM follows WHERE followee_id = u.id) AS g
         FROM unnest($1::text[]) u(id) JOIN follow_counts c ON c.user_id = u.id`,
        [users.map((u) => u.id)],
      );
      expect(rows.map((r) => [r.following, r.f, r.followers, r.g])).toEqual(users.map(() => [3, 3, 3, 3]));
    });

    it('limits follows per rolling hour by the clock, with Retry-After; unfollow-then-follow still counts', async () => {
      await t.advanceClock(3601); // a fresh hour (tokens are minted after it)
      const a = await registerUser(t);
      const targets = await insertUsers(t, 10);
      // cap 5: follow and unfollow to stay under it while spending the hourly budget of 8
      for (let i = 0; i < 4; i++) await follow(a, targets[i]).expect(201);
      for (let i = 0; i < 4; i++) await unfollow(a, targets[i]).expect(200);
      await t.advanceClock(600);
      for (let i = 0; i < 4; i++) await follow(a, targets[i]).expect(201);
      const limited = await follow(a, targets[4]);
      expectError(limited, 429, 'follow_rate_limited');
      // the oldest follow leaves the window 3000 s from now (less the real seconds this test took)
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeLessThanOrEqual(3000);
      expect(retryAfter).toBeGreaterThan(2900);
      expect(limited.body.retry_after).toBe(retryAfter);
      await t.advanceClock(3000);
      await follow(a, targets[4]).expect(201);
    });

    it('holds the hourly budget under 20 concurrent follows', async () => {
      await t.advanceClock(3601); // a fresh hour (tokens are minted after it)
      const a = await registerUser(t);
      const targets = await insertUsers(t, 20);
      // the cap is 5, the hourly budget 8: unfollow as we go so only the budget limits
      for (let i = 0; i < 4; i++) {
        await follow(a, targets[i]).expect(201);
        await unfollow(a, targets[i]).expect(200);
      }
      const responses = await Promise.all(targets.slice(4).map((id) => follow(a, id)));
      expect(count(responses, 201)).toBe(4);
      expect(count(responses, 429)).toBe(12);
      for (const r of responses.filter((x) => x.status !== 201)) expectError(r, 429, 'follow_rate_limited');
      const [row] = await dbQuery<{ n: number }>(
        t,
        `SELECT count(*)::int AS n FROM rate_events WHERE kind = 'follow' AND subject = $1`,
        [a.id],
      );
      expect(row.n).toBe(8);
    });
  });

  describe('blocks', () => {
    it('removes follows both ways and stops follows in both directions', async () => {
      const a = await registerUser(t);
      const b = await registerUser(t);
      await follow(a, b.id).expect(201);
      await follow(b, a.id).expect(201);
      await t.http.post(`/api/v1/users/${b.id}/block`).set(a.auth).expect(204);
      await t.http.post(`/api/v1/users/${b.id}/block`).set(a.auth).expect(204); // again is fine
      const [row] = await dbQuery<{ n: number }>(
        t,
        `SELECT count(*)::int AS n FROM follows WHERE follower_id IN ($1, $2) AND followee_id IN ($1, $2)`,
        [a.id, b.id],
      );
      expect(row.n).toBe(0);
      const profile = await t.http.get(`/api/v1/users/${a.id}`).expect(200);
      expect(profile.body).toMatchObject({ follower_count: 0, following_count: 0 });

      expectError(await follow(a, b.id), 403, 'you_blocked_user');
      expectError(await follow(b, a.id), 403, 'user_blocked_you');
      const list = await t.http.get('/api/v1/me/blocks').set(a.auth).expect(200);
      expect(list.body.data.map((u: { id: string }) => u.id)).toEqual([b.id]);

      await t.http.delete(`/api/v1/users/${b.id}/block`).set(a.auth).expect(204);
      expect((await t.http.get('/api/v1/me/blocks').set(a.auth).expect(200)).body.data).toEqual([]);
      await follow(b, a.id).expect(201);
      expectError(await t.http.post(`/api/v1/users/${a.id}/block`).set(a.auth), 422, 'validation_failed');
      expectError(
        await t.http.post('/api/v1/users/usr_01jzzzzzzzzzzzzzzzzzzzzzzz/block').set(a.auth),
        404,
        'user_not_found',
      );
    });

    it('never leaves a follow behind when a block and follows race', async () => {
      await t.advanceClock(3601);
      const a = await registerUser(t);
      const b = await registerUser(t);
      const responses = await Promise.all([
        follow(a, b.id),
        follow(b, a.id),
        t.http.post(`/api/v1/users/${b.id}/block`).set(a.auth),
      ]);
      expect(responses[2].status).toBe(204);
      // each follow went before the block (and the block removed it) or after it (refused)
      if (responses[0].status !== 201) expectError(responses[0], 403, 'you_blocked_user');
      if (responses[1].status !== 201) expectError(responses[1], 403, 'user_blocked_you');
      const [row] = await dbQuery<{ n: number }>(
        t,
        `SELECT count(*)::int AS n FROM follows WHERE follower_id IN ($1, $2) AND followee_id IN ($1, $2)`,
        [a.id, b.id],
      );
      expect(row.n).toBe(0);
    });
  });

  describe('reposts', () => {
    it('reposts and un-reposts, with the count on the track', async () => {
      const owner = await registerUser(t);
      const fan = await registerUser(t);
      const track = await externalTrack(t, owner);
      const res = await t.http.post(`/api/v1/tracks/${track.id}/repost`).set(fan.auth).expect(201);
      expect(res.body).toEqual({ track_id: track.id, reposted: true, repost_count: 1 });
      expect((await t.http.get(`/api/v1/tracks/${track.id}`).expect(200)).body.repost_count).toBe(1);
      expectError(
        await t.http.post(`/api/v1/tracks/${track.id}/repost`).set(fan.auth),
        409,
        'already_reposted',
      );
      const undone = await t.http.delete(`/api/v1/tracks/${track.id}/repost`).set(fan.auth).expect(200);
      expect(undone.body).toEqual({ track_id: track.id, reposted: false, repost_count: 0 });
      expectError(
        await t.http.post('/api/v1/tracks/trk_01jzzzzzzzzzzzzzzzzzzzzzzz/repost').set(fan.auth),
        404,
        'track_not_found',
      );
    });

    it('refuses the owner and credited collaborators', async () => {
      const owner = await registerUser(t);
      const co = await registerUser(t);
      const track = await externalTrack(t, owner);
      await t.http
        .put(`/api/v1/tracks/${track.id}/collaborators`)
        .set(owner.auth)
        .send({ collaborators: [{ user_id: co.id, role: 'co_producer', split_percent: 100 }] })
        .expect(200);
      expectError(
        await t.http.post(`/api/v1/tracks/${track.id}/repost`).set(owner.auth),
        400,
        'cannot_repost_own_track',
      );
      expectError(
        await t.http.post(`/api/v1/tracks/${track.id}/repost`).set(co.auth),
        400,
        'cannot_repost_own_track',
      );
    });

    it('limits reposts per rolling hour and day, under concurrency, with Retry-After', async () => {
      await t.advanceClock(86_401);
      const owner = await registerUser(t);
      const fan = await registerUser(t);
      const tracks: { id: string }[] = [];
      for (let i = 0; i < 8; i++) tracks.push(await externalTrack(t, owner, `T${i}`));
      const responses = await Promise.all(
        tracks.slice(0, 6).map((tr) => t.http.post(`/api/v1/tracks/${tr.id}/repost`).set(fan.auth)),
      );
      expect(count(responses, 201)).toBe(3);
      const refused = responses.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(3);
      for (const limited of refused) {
        expectError(limited, 429, 'repost_limit_reached');
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(3600);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3500);
      }
      const [row] = await dbQuery<{ n: number }>(
        t,
        `SELECT count(*)::int AS n FROM reposts WHERE user_id = $1`,
        [fan.id],
      );
      expect(row.n).toBe(3);

      // removing a repost gives nothing back
      const done = responses.map((r, i) => (r.status === 201 ? tracks[i] : null)).filter((x) => x);
      await t.http.delete(`/api/v1/tracks/${done[0]!.id}/repost`).set(fan.auth).expect(200);
      const pending = tracks.filter((tr) => !done.includes(tr));
      expectError(
        await t.http.post(`/api/v1/tracks/${pending[0].id}/repost`).set(fan.auth),
        429,
        'repost_limit_reached',
      );

      // an hour later: 2 more reach the day's 5
      await t.advanceClock(3600);
      await t.http.post(`/api/v1/tracks/${pending[0].id}/repost`).set(fan.auth).expect(201);
      await t.http.post(`/api/v1/tracks/${pending[1].id}/repost`).set(fan.auth).expect(201);
      const daily = await t.http.post(`/api/v1/tracks/${pending[2].id}/repost`).set(fan.auth);
      expectError(daily, 429, 'repost_limit_reached');
      expect(Number(daily.headers['retry-after'])).toBeLessThanOrEqual(86_400 - 3600);
      expect(Number(daily.headers['retry-after'])).toBeGreaterThan(86_400 - 3700);
    });
  });
});

describe('follow budgets shared by two instances', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = new SmtpSink();
    await smtp.start();
    const env = { LIMIT_FOLLOWS_PER_HOUR: '6', LIMIT_FOLLOWING: '100' };
    one = await startTestApp(env, { database: db, smtp });
    two = await startTestApp(env, { database: db, smtp });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await smtp?.stop();
    await db?.drop();
  });

  it('lets 6 of 20 concurrent follows through, whichever instance takes them', async () => {
    const a = await registerUser(one);
    const targets = await insertUsers(one, 20);
    const responses = await Promise.all(
      targets.map((id, i) => (i % 2 ? one : two).http.post(`/api/v1/users/${id}/follow`).set(a.auth)),
    );
    expect(count(responses, 201)).toBe(6);
    expect(count(responses, 429)).toBe(14);
    for (const r of responses.filter((x) => x.status !== 201)) expectError(r, 429, 'follow_rate_limited');
    const [row] = await dbQuery<{ n: number }>(
      one,
      `SELECT count(*)::int AS n FROM follows WHERE follower_id = $1`,
      [a.id],
    );
    expect(row.n).toBe(6);
  });
});
