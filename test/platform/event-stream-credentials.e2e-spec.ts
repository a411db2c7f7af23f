import { backendPid, connect, lockWaiters } from '../support/locks';
import { dbQuery, SseClient } from '../support/social';
import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { login, loginAdmin, mailToken, registerUser, TestUser } from '../support/users';

/** Rejects with what was awaited when it takes longer than `ms` (a generous bound, not a measurement). */
function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The stream's next event must be `end`, and then the server closes it: answers the reason. */
async function endReason(stream: SseClient): Promise<string> {
  const event = await within(stream.next(), 'event');
  expect(event.event).toBe('end');
  expect(event.id).toBeUndefined(); // Last-Event-ID stays the last real event's
  await within(stream.closed, 'close after the end event');
  return (JSON.parse(event.data!) as { reason: string }).reason;
}

const bearer = (token: string) => ({ auth: { Authorization: `Bearer ${token}` } });

async function personalToken(t: TestApp, user: TestUser): Promise<{ id: string; token: string }> {
  const res = await t.http
    .post('/api/v1/me/access-tokens')
    .set(user.auth)
    .send({ name: 'stream pat' })
    .expect(201);
  return res.body as { id: string; token: string };
}

async function streamRows(t: TestApp, userId: string): Promise<number> {
  const [row] = await dbQuery<{ n: number }>(
    t,
    'SELECT count(*)::int AS n FROM event_streams WHERE user_id = $1',
    [userId],
  );
  return row.n;
}

/**
 * GET /me/events never outlives the credential that opened it (issue 20, item 1): logout, password
 * reset and change, token revocation and suspension end the affected streams on every instance with
 * a final `event: end` and its reason; an expired access token ends its stream; a user holds at most
 * LIMIT_EVENT_STREAMS_PER_USER streams over all instances, the oldest giving way.
 */
describe('event streams end with their credential', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let sender: TestUser;

  /** A message to `to`, and the proof that `streams` are still open: it is the next event on each. */
  async function stillOpen(to: TestUser, ...streams: SseClient[]): Promise<void> {
    const sent = await one.http
      .post('/api/v1/messages')
      .set(sender.auth)
      .send({ recipient_id: to.id, body: 'still there?' })
      .expect(201);
    for (const stream of streams) {
      const event = await within(stream.next(), 'message');
      expect(event.event).toBe('message.created');
      expect((JSON.parse(event.data!) as { data: { id: string } }).data.id).toBe(sent.body.id);
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const shared = { database: { ...db, drop: async () => undefined } };
    // a heartbeat far beyond any wait here: what ends these streams is the close signal (or the cap)
    const env = { LIMIT_EVENT_STREAM_HEARTBEAT_SECONDS: '600' };
    one = await startTestApp(env, shared);
    two = await startTestApp(env, shared);
    sender = await registerUser(one, { name: 'Sender' });
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it('logout ends the streams of that session on both instances; another session’s stream stays', async () => {
    const user = await registerUser(one);
    const other = await login(one, user.email, user.password);
    const here = await SseClient.open(one, user);
    const there = await SseClient.open(two, user);
    const otherSession = await SseClient.open(two, other);
    expect([here.status, there.status, otherSession.status]).toEqual([200, 200, 200]);

    await one.http.post('/api/v1/auth/logout').set(user.auth).expect(204);
    expect(await endReason(here)).toBe('logged_out');
    expect(await endReason(there)).toBe('logged_out');
    await stillOpen(user, otherSession);
    otherSession.close();
  });

  it('a password reset ends every stream of the account, sessions and personal access tokens alike', async () => {
    const user = await registerUser(one);
    const pat = await personalToken(one, user);
    const session = await SseClient.open(one, user);
    const byToken = await SseClient.open(two, bearer(pat.token));

    await one.http.post('/api/v1/auth/forgot-password').send({ email: user.email }).expect(202);
    const token = await mailToken(one, user.email, /reset/i);
    await one.http
      .post('/api/v1/auth/reset-password')
      .send({ token, password: 'brand-new-password' })
      .expect(204);
    expect(await endReason(session)).toBe('credentials_changed');
    expect(await endReason(byToken)).toBe('credentials_changed');
  });

  it('a password change ends the other sessions’ and the tokens’ streams, not the changing session’s', async () => {
    const user = await registerUser(one);
    const other = await login(one, user.email, user.password);
    const pat = await personalToken(one, user);
    const mine = await SseClient.open(two, user);
    const otherSession = await SseClient.open(one, other);
    const byToken = await SseClient.open(two, bearer(pat.token));

    await one.http
      .patch('/api/v1/me')
      .set(user.auth)
      .send({ current_password: user.password, new_password: 'another-password-1' })
      .expect(200);
    expect(await endReason(otherSession)).toBe('credentials_changed');
    expect(await endReason(byToken)).toBe('credentials_changed');
    await stillOpen(user, mine);
    mine.close();
  });

  it('revoking a personal access token ends its streams; the session’s stream stays', async () => {
    const user = await registerUser(one);
    const pat = await personalToken(one, user);
    const here = await SseClient.open(one, bearer(pat.token));
    const there = await SseClient.open(two, bearer(pat.token));
    const session = await SseClient.open(two, user);

    await one.http.delete(`/api/v1/me/access-tokens/${pat.id}`).set(user.auth).expect(204);
    expect(await endReason(here)).toBe('token_revoked');
    expect(await endReason(there)).toBe('token_revoked');
    await stillOpen(user, session);
    session.close();
  });

  it('a replayed refresh token (stolen) ends that session’s streams at once; another session’s stays', async () => {
    const user = await registerUser(one);
    const other = await login(one, user.email, user.password);
    const here = await SseClient.open(one, user);
    const there = await SseClient.open(two, user);
    const otherSession = await SseClient.open(two, other);

    await one.http.post('/api/v1/auth/refresh').send({ refresh_token: user.refreshToken }).expect(200);
    // the same refresh token again: reuse, the whole family is revoked
    await one.http.post('/api/v1/auth/refresh').send({ refresh_token: user.refreshToken }).expect(401);
    expect(await endReason(here)).toBe('token_revoked');
    expect(await endReason(there)).toBe('token_revoked');
    await stillOpen(user, otherSession);
    otherSession.close();
  });

  it('a client that hangs up while its stream opens leaves no place behind', async () => {
    const user = await registerUser(one);
    // hold the user's stream-place lock, so the open waits in its claim; hang up meanwhile
    const holder = await connect(one.databaseUrl);
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 1003))`, [user.id]);
    const controller = new AbortController();
    const pending = fetch(`${one.url}/api/v1/me/events`, {
      headers: user.auth,
      signal: controller.signal,
    }).catch(() => undefined);
    await lockWaiters(one.databaseUrl, { count: 1, blockedBy: await backendPid(holder) });
    controller.abort();
    await pending;
    await holder.query('COMMIT');
    await holder.end();
    // the claim commits after the client left: its place must be given back, not renewed for an hour
    const deadline = Date.now() + 30_000;
    while ((await streamRows(one, user.id)) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await streamRows(one, user.id)).toBe(0);
  });

  it('a suspension ends every stream of the user on every instance', async () => {
    const admin = await loginAdmin(one);
    const user = await registerUser(one);
    const pat = await personalToken(one, user);
    const here = await SseClient.open(one, user);
    const there = await SseClient.open(two, bearer(pat.token));

    await two.http
      .post(`/api/v1/admin/users/${user.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'spam in messages' })
      .expect(200);
    expect(await endReason(here)).toBe('account_suspended');
    expect(await endReason(there)).toBe('account_suspended');
    // and a new one is refused outright
    const again = await SseClient.open(one, user);
    expect(again.status).toBe(403);
  });

  it('the sixth stream of a user ends the oldest (`replaced`), whichever instance holds it', async () => {
    const user = await registerUser(one);
    const streams: SseClient[] = [];
    // opened one after another, alternately on the two instances: [0] is the oldest
    for (let i = 0; i < 5; i++) streams.push(await SseClient.open(i % 2 ? two : one, user));
    expect(await streamRows(one, user.id)).toBe(5);

    streams.push(await SseClient.open(two, user));
    expect(streams[5].status).toBe(200);
    expect(await endReason(streams[0])).toBe('replaced');
    expect(await streamRows(one, user.id)).toBe(5);
    await stillOpen(user, ...streams.slice(1));
    for (const s of streams) s.close();
  });

  it('12 streams opened at once on two instances: exactly 7 end `replaced`, the 5 others stay open', async () => {
    const user = await registerUser(one);
    const streams = await Promise.all(
      Array.from({ length: 12 }, (_, i) => SseClient.open(i % 2 ? two : one, user)),
    );
    expect(streams.map((s) => s.status)).toEqual(Array(12).fill(200));
    // every open has taken its place (each answered after its claim committed): 5 rows remain
    expect(await streamRows(one, user.id)).toBe(5);

    // which ones end follows the order in which the opens took the user's lock: wait for 7 ends,
    // then a message must be the first event of each of the other 5
    let ends = 0;
    let sevenEnded!: () => void;
    const seven = new Promise<void>((resolve) => (sevenEnded = resolve));
    const firsts = streams.map((s) =>
      s.next().then((e) => {
        if (e.event === 'end' && ++ends === 7) sevenEnded();
        return e;
      }),
    );
    await within(seven, 'seven end events');
    const sent = await one.http
      .post('/api/v1/messages')
      .set(sender.auth)
      .send({ recipient_id: user.id, body: 'to the five' })
      .expect(201);
    const events = await within(Promise.all(firsts), 'an event on every stream');

    const replaced = events.filter((e) => e.event === 'end');
    expect(replaced.map((e) => JSON.parse(e.data!))).toEqual(Array(7).fill({ reason: 'replaced' }));
    const delivered = events.filter((e) => e.event === 'message.created');
    expect(delivered.map((e) => (JSON.parse(e.data!) as { data: { id: string } }).data.id)).toEqual(
      Array(5).fill(sent.body.id),
    );
    await within(
      Promise.all(streams.filter((_, i) => events[i].event === 'end').map((s) => s.closed)),
      'the replaced streams to close',
    );
    expect(await streamRows(one, user.id)).toBe(5);
    for (const s of streams) s.close();
  });
});

/**
 * Without a close signal: what the heartbeat re-check finds (a change made behind the bus's back)
 * and the end at the token's expiry. Its own database: these move the shared test clock.
 */
describe('event streams: the heartbeat re-check and the token expiry', () => {
  let db: TestDatabase;
  /** re-checks every second */
  let beating: TestApp;
  /** re-checks every 10 minutes: only the expiry timer can end its streams here */
  let slow: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const shared = { database: { ...db, drop: async () => undefined } };
    beating = await startTestApp({ LIMIT_EVENT_STREAM_HEARTBEAT_SECONDS: '1' }, shared);
    slow = await startTestApp({ LIMIT_EVENT_STREAM_HEARTBEAT_SECONDS: '600' }, shared);
  });

  afterAll(async () => {
    await beating?.close();
    await slow?.close();
    await db?.drop();
  });

  it('re-resolves the credential at each heartbeat: revoked session or token, suspension, a lost place', async () => {
    const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => registerUser(beating)));
    const pat = await personalToken(beating, c);
    const revokedSession = await SseClient.open(beating, a);
    const suspended = await SseClient.open(beating, b);
    const revokedToken = await SseClient.open(beating, bearer(pat.token));
    const lostPlace = await SseClient.open(beating, d);

    // straight in the database: no close signal is sent, only the heartbeat can notice
    await dbQuery(
      beating,
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'test' WHERE user_id = $1`,
      [a.id],
    );
    await dbQuery(beating, `UPDATE users SET status = 'suspended' WHERE id = $1`, [b.id]);
    await dbQuery(beating, `UPDATE personal_access_tokens SET revoked_at = now() WHERE id = $1`, [pat.id]);
    await dbQuery(beating, `DELETE FROM event_streams WHERE user_id = $1`, [d.id]);

    expect(await endReason(revokedSession)).toBe('token_revoked');
    expect(await endReason(suspended)).toBe('account_suspended');
    expect(await endReason(revokedToken)).toBe('token_revoked');
    expect(await endReason(lostPlace)).toBe('replaced');
  });

  it('an access token past its expiry (test clock) ends its stream; a refreshed one resumes after Last-Event-ID', async () => {
    const user = await registerUser(beating);
    const friend = await registerUser(beating);
    const dm = (auth: TestUser['auth'], body: string) =>
      beating.http.post('/api/v1/messages').set(auth).send({ recipient_id: user.id, body }).expect(201);
    const stream = await SseClient.open(beating, user);
    await dm(friend.auth, 'before');
    const seen = await within(stream.next(), 'message');
    expect(seen.event).toBe('message.created');

    await beating.advanceClock(3600);
    expect(await endReason(stream)).toBe('token_expired');

    // what the client does: refresh, reconnect (any instance) with the last event id it saw
    const friendNow = await login(beating, friend.email, friend.password); // its token expired too
    const missed = await dm(friendNow.auth, 'while the token was being refreshed');
    const refreshed = await beating.http
      .post('/api/v1/auth/refresh')
      .send({ refresh_token: user.refreshToken })
      .expect(200);
    const resumed = await SseClient.open(slow, bearer(refreshed.body.access_token as string), seen.id);
    expect(resumed.status).toBe(200);
    const replayed = await within(resumed.next(), 'replayed message');
    expect((JSON.parse(replayed.data!) as { data: { id: string } }).data.id).toBe(missed.body.id);
    resumed.close();
  });

  it('ends a stream when its access token expires, with no heartbeat in between', async () => {
    const user = await registerUser(slow);
    // the token (LIMIT_ACCESS_TOKEN_SECONDS, 3600) has 10 s left when the stream opens
    await slow.advanceClock(3600 - 10);
    const stream = await SseClient.open(slow, user);
    expect(stream.status).toBe(200);
    expect(await endReason(stream)).toBe('token_expired');
  });
});
