import { expectError } from '../support/expect-error';
import { dbQuery, insertUsers, SseClient } from '../support/social';
import { SmtpSink } from '../support/smtp-sink';
import { createTestDatabase, startTestApp, TestApp, TestDatabase } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

const count = (responses: { status: number }[], status: number) =>
  responses.filter((r) => r.status === status).length;

describe('messaging', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LIMIT_MESSAGES_PER_MINUTE: '5', LIMIT_MESSAGE_CHARS: '2000' });
  });
  afterAll(() => t?.close());

  const open = (u: TestUser, id: string) =>
    t.http.post('/api/v1/conversations').set(u.auth).send({ user_id: id });
  const dm = (u: TestUser, id: string, body: string) =>
    t.http.post('/api/v1/messages').set(u.auth).send({ recipient_id: id, body });
  const post = (u: TestUser, conversation: string, body: string) =>
    t.http.post(`/api/v1/conversations/${conversation}/messages`).set(u.auth).send({ body });

  it('opens one conversation per pair (201, then 200), from either side', async () => {
    const a = await registerUser(t, { name: 'Ada' });
    const b = await registerUser(t, { name: 'Bo' });
    const first = await open(a, b.id).expect(201);
    expect(first.body).toMatchObject({
      other_user: { id: b.id, display_name: 'Bo' },
      last_message: null,
      unread_count: 0,
    });
    const again = await open(a, b.id).expect(200);
    const theirs = await open(b, a.id).expect(200);
    expect([again.body.id, theirs.body.id]).toEqual([first.body.id, first.body.id]);
  });

  it('makes one conversation of 10 concurrent opens by the same pair', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? open(a, b.id) : open(b, a.id))),
    );
    expect(count(responses, 201)).toBe(1);
    expect(count(responses, 200)).toBe(9);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    const [row] = await dbQuery<{ n: number; m: number }>(
      t,
      `SELECT (SELECT count(*)::int FROM conversations WHERE $1 IN (user_a, user_b) AND $2 IN (user_a, user_b)) AS n,
              (SELECT count(*)::int FROM conversation_members WHERE conversation_id = $3) AS m`,
      [a.id, b.id, responses[0].body.id],
    );
    expect(row).toEqual({ n: 1, m: 2 });
  });

  it('8 concurrent first messages from both sides: one conversation, every message, its last one and activity', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? dm(a, b.id, `a${i}`) : dm(b, a.id, `b${i}`))),
    );
    expect(count(responses, 201)).toBe(8);
    const [row] = await dbQuery<{ n: number; m: number; messages: number; last: boolean; activity: boolean }>(
      t,
      `SELECT (SELECT count(*)::int FROM conversations WHERE $1 IN (user_a, user_b) AND $2 IN (user_a, user_b)) AS n,
              (SELECT count(*)::int FROM conversation_members WHERE conversation_id = c.id) AS m,
              (SELECT count(*)::int FROM messages WHERE conversation_id = c.id) AS messages,
              c.last_message_id IN (SELECT id FROM messages WHERE conversation_id = c.id) AS last,
              (SELECT bool_and(last_activity_at = (SELECT max(created_at) FROM messages WHERE conversation_id = c.id))
                 FROM conversation_members WHERE conversation_id = c.id) AS activity
       FROM conversations c WHERE c.user_a = LEAST($1, $2) AND c.user_b = GREATEST($1, $2)`,
      [a.id, b.id],
    );
    expect(row).toEqual({ n: 1, m: 2, messages: 8, last: true, activity: true });
  });

  it('sends, lists by last activity with the last message and unread count, marks read', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const c = await registerUser(t);
    const sent = await dm(a, b.id, 'hey').expect(201);
    expect(sent.body).toMatchObject({ sender_id: a.id, body: 'hey' });
    const conversation = sent.body.conversation_id as string;
    await post(b, conversation, 'hi!').expect(201);
    await post(a, conversation, 'how are you').expect(201);
    await dm(c, b.id, 'yo').expect(201);

    const list = await t.http.get('/api/v1/conversations').set(b.auth).expect(200);
    expect(list.body.data.map((x: { other_user: { id: string } }) => x.other_user.id)).toEqual([c.id, a.id]);
    expect(list.body.data[1]).toMatchObject({
      id: conversation,
      unread_count: 1,
      last_message: { body: 'how are you', sender_id: a.id, conversation_id: conversation },
    });
    const page = await t.http.get('/api/v1/conversations?limit=1').set(b.auth).expect(200);
    const next = await t.http
      .get(`/api/v1/conversations?limit=1&cursor=${page.body.next_cursor}`)
      .set(b.auth)
      .expect(200);
    expect(next.body.data[0].id).toBe(conversation);

    const messages = await t.http
      .get(`/api/v1/conversations/${conversation}/messages`)
      .set(b.auth)
      .expect(200);
    expect(messages.body.data.map((m: { body: string }) => m.body)).toEqual(['how are you', 'hi!', 'hey']);

    const read = await t.http.post(`/api/v1/conversations/${conversation}/read`).set(b.auth).expect(200);
    expect(read.body.unread_count).toBe(0);
    const mine = await t.http.get('/api/v1/conversations').set(a.auth).expect(200);
    expect(mine.body.data[0].unread_count).toBe(0); // a's own messages are never unread to a
  });

  it('answers every messaging code', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const outsider = await registerUser(t);
    const ghost = 'usr_01jzzzzzzzzzzzzzzzzzzzzzzz';
    expectError(await dm(a, ghost, 'hello'), 404, 'recipient_not_found');
    expectError(await open(a, ghost), 404, 'recipient_not_found');
    expectError(await dm(a, a.id, 'hello'), 422, 'cannot_message_self');
    expectError(await open(a, a.id), 422, 'cannot_message_self');
    expectError(await dm(a, b.id, 'x'.repeat(2001)), 422, 'message_too_long');
    expectError(await dm(a, b.id, '   '), 422, 'validation_failed');
    // 2,000 characters as a user sees them: an emoji with a skin tone is one (4 UTF-16 units)
    await dm(a, b.id, '👍🏽'.repeat(2000)).expect(201);
    expectError(await dm(a, b.id, '👍🏽'.repeat(2001)), 422, 'message_too_long');
    await dm(a, b.id, 'e\u0301'.repeat(2000)).expect(201);

    const conversation = (await open(a, b.id).expect(200)).body.id as string;
    expectError(await post(a, 'cnv_01jzzzzzzzzzzzzzzzzzzzzzzz', 'hi'), 404, 'conversation_not_found');
    expectError(
      await t.http.get('/api/v1/conversations/cnv_01jzzzzzzzzzzzzzzzzzzzzzzz/messages').set(a.auth),
      404,
      'conversation_not_found',
    );
    expectError(await post(outsider, conversation, 'hi'), 403, 'not_a_participant');
    expectError(
      await t.http.get(`/api/v1/conversations/${conversation}/messages`).set(outsider.auth),
      403,
      'not_a_participant',
    );
    expectError(
      await t.http.post(`/api/v1/conversations/${conversation}/read`).set(outsider.auth),
      403,
      'not_a_participant',
    );

    await t.http.post(`/api/v1/users/${b.id}/block`).set(a.auth).expect(204);
    expectError(await post(a, conversation, 'hi'), 403, 'you_blocked_user');
    expectError(await post(b, conversation, 'hi'), 403, 'user_blocked_you');
    expectError(await dm(b, a.id, 'hi'), 403, 'user_blocked_you');
    expectError(await open(b, a.id), 403, 'user_blocked_you');
    expectError(await open(a, b.id), 403, 'you_blocked_user');
    await t.http.delete(`/api/v1/users/${b.id}/block`).set(a.auth).expect(204);
    await post(b, conversation, 'friends again').expect(201);
  });

  it('sends exactly 5 of 30 concurrent messages with a limit of 5 per minute; the rest 429 with Retry-After', async () => {
    const a = await registerUser(t);
    const [b] = await insertUsers(t, 1);
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => dm(a, b, `m${i}`)));
    expect(count(responses, 201)).toBe(5);
    expect(count(responses, 429)).toBe(25);
    for (const r of responses.filter((x) => x.status === 429)) {
      expectError(r, 429, 'message_rate_limited');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(r.body.retry_after).toBe(Number(r.headers['retry-after']));
    }
    const [row] = await dbQuery<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM messages WHERE sender_id = $1`,
      [a.id],
    );
    expect(row.n).toBe(5);
    // a rolling minute by the application clock
    await t.advanceClock(61);
    await dm(a, b, 'later').expect(201);
  });

  it('sends one message for one Idempotency-Key, however often the client retries', async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const send = () =>
      t.http
        .post('/api/v1/messages')
        .set(a.auth)
        .set('Idempotency-Key', 'retry-me-1')
        .send({ recipient_id: b.id, body: 'only once' });
    const first = await send().expect(201);
    const retry = await send().expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.http
          .post(`/api/v1/conversations/${first.body.conversation_id}/messages`)
          .set(a.auth)
          .set('Idempotency-Key', 'retry-me-2')
          .send({ body: 'flaky network' }),
      ),
    );
    // one of them sends; each other one replays it or is told it is still in progress
    const sent = concurrent.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] !== 'true');
    expect(sent).toHaveLength(1);
    for (const r of concurrent.filter((x) => x !== sent[0])) {
      if (r.status !== 201) expectError(r, 409, 'idempotency_request_in_progress');
      else expect([r.headers['idempotent-replayed'], r.body.id]).toEqual(['true', sent[0].body.id]);
    }
    const [row] = await dbQuery<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM messages WHERE sender_id = $1`,
      [a.id],
    );
    expect(row.n).toBe(2);
  });
});

describe('messaging on two instances', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = new SmtpSink();
    await smtp.start();
    const env = { LIMIT_MESSAGES_PER_MINUTE: '5' };
    one = await startTestApp(env, { database: db, smtp });
    two = await startTestApp(env, { database: db, smtp });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await smtp?.stop();
    await db?.drop();
  });

  it('shares one message budget between the instances', async () => {
    const a = await registerUser(one);
    const [b] = await insertUsers(one, 1);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? one : two).http
          .post('/api/v1/messages')
          .set(a.auth)
          .send({ recipient_id: b, body: `m${i}` }),
      ),
    );
    expect(count(responses, 201)).toBe(5);
    expect(count(responses, 429)).toBe(15);
    for (const r of responses.filter((x) => x.status !== 201)) expectError(r, 429, 'message_rate_limited');
    const [row] = await dbQuery<{ n: number }>(
      one,
      `SELECT count(*)::int AS n FROM messages WHERE sender_id = $1`,
      [a.id],
    );
    expect(row.n).toBe(5);
  });

  it('delivers a message on GET /me/events whichever instance handled the send, and resumes after Last-Event-ID', async () => {
    const a = await registerUser(one, { name: 'Ada' });
    const b = await registerUser(two, { name: 'Bo' });
    const stream = await SseClient.open(two, b);
    expect(stream.status).toBe(200);
    expect(String(stream.headers['content-type'])).toMatch(/^text\/event-stream/);

    const sent = await one.http
      .post('/api/v1/messages')
      .set(a.auth)
      .send({ recipient_id: b.id, body: 'ping' })
      .expect(201);
    const event = await stream.next();
    expect(event.event).toBe('message.created');
    const payload = JSON.parse(event.data!);
    expect(payload).toMatchObject({
      type: 'message.created',
      data: { id: sent.body.id, body: 'ping', sender_id: a.id },
    });
    stream.close();

    // missed while disconnected: replayed after the last event id the client saw
    const missed = await one.http
      .post(`/api/v1/conversations/${sent.body.conversation_id}/messages`)
      .set(a.auth)
      .send({ body: 'while you were away' })
      .expect(201);
    const resumed = await SseClient.open(one, b, event.id);
    const replayed = await resumed.next();
    expect(JSON.parse(replayed.data!).data.id).toBe(missed.body.id);
    // left open: shutting the instance down ends it (afterAll would hang otherwise)
  });

  it('refuses the stream without a token', async () => {
    expectError(await one.http.get('/api/v1/me/events'), 401, 'unauthenticated');
  });
});
