import { newId } from '../../src/platform/ids';
import { piece, wav } from '../support/audio';
import { upload } from '../support/catalog';
import { dbQuery, externalTrack, insertUsers } from '../support/social';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

interface Entry {
  track: { id: string; owner_id: string; repost_count: number };
  activity_at: string;
  posted_by_followed: boolean;
  reposted_by: { id: string; display_name: string }[];
  reposted_by_count: number;
}

describe('feed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LIMIT_FOLLOWS_PER_HOUR: '1000', LIMIT_REPOSTS_PER_HOUR: '1000' });
  });
  afterAll(() => t?.close());

  const feed = async (u: TestUser, query = ''): Promise<{ data: Entry[]; next_cursor: string | null }> =>
    (await t.http.get(`/api/v1/feed${query}`).set(u.auth).expect(200)).body;
  const ids = (entries: Entry[]) => entries.map((e) => e.track.id);
  const follow = (u: TestUser, id: string) =>
    t.http.post(`/api/v1/users/${id}/follow`).set(u.auth).expect(201);
  const repost = (u: TestUser, id: string) =>
    t.http.post(`/api/v1/tracks/${id}/repost`).set(u.auth).expect(201);

  /** Every page, following next_cursor. */
  async function allPages(u: TestUser, limit: number): Promise<Entry[]> {
    const out: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page = await feed(u, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }

  it('shows followed accounts’ tracks and reposts newest first, one entry per track saying who reposted it', async () => {
    const reader = await registerUser(t);
    const b = await registerUser(t, { name: 'Bo' });
    const c = await registerUser(t, { name: 'Cy' });
    const d = await registerUser(t, { name: 'Di' });
    await follow(reader, b.id);
    await follow(reader, c.id);
    expect((await feed(reader)).data).toEqual([]);

    const tB1 = await externalTrack(t, b, 'B1');
    await t.advanceClock(1);
    const tC1 = await externalTrack(t, c, 'C1');
    await t.advanceClock(1);
    const tD1 = await externalTrack(t, d, 'D1'); // not followed
    await t.advanceClock(1);
    await repost(c, tD1.id);
    await t.advanceClock(1);
    await repost(b, tC1.id);
    await t.advanceClock(1);
    await repost(b, tD1.id);
    // an upload still processing is seen by nobody but its credits
    await upload(t, b, wav(piece(7, 2))).expect(201);

    const page = await feed(reader);
    expect(ids(page.data)).toEqual([tD1.id, tC1.id, tB1.id]);
    expect(page.data[0]).toMatchObject({
      posted_by_followed: false,
      reposted_by: [
        { id: b.id, display_name: 'Bo' },
        { id: c.id, display_name: 'Cy' },
      ],
      reposted_by_count: 2,
      track: { owner_id: d.id, repost_count: 2 },
    });
    expect(page.data[1]).toMatchObject({
      posted_by_followed: true,
      reposted_by: [{ id: b.id }],
      reposted_by_count: 1,
    });
    expect(page.data[2]).toMatchObject({ posted_by_followed: true, reposted_by: [], reposted_by_count: 0 });

    // paging one by one while new activity arrives: nothing repeats, nothing is skipped
    const first = await feed(reader, '?limit=1');
    expect(ids(first.data)).toEqual([tD1.id]);
    await t.advanceClock(1);
    const tC2 = await externalTrack(t, c, 'C2');
    await t.advanceClock(1);
    await repost(c, tB1.id); // moves B1 to the top of a fresh feed
    const second = await feed(reader, `?limit=1&cursor=${first.next_cursor}`);
    expect(ids(second.data)).toEqual([tC1.id]);
    const third = await feed(reader, `?limit=1&cursor=${second.next_cursor}`);
    expect(ids(third.data)).toEqual([tB1.id]);
    expect(third.next_cursor).toBeNull();
    const fresh = await feed(reader);
    expect(ids(fresh.data)).toEqual([tB1.id, tC2.id, tD1.id, tC1.id]);
    expect(fresh.data[0].reposted_by.map((r) => r.id)).toEqual([c.id]);

    // blocks, either way: the blocked owner's tracks go, and a block ends the follow
    await t.http.post(`/api/v1/users/${reader.id}/block`).set(d.auth).expect(204);
    expect(ids((await feed(reader)).data)).toEqual([tB1.id, tC2.id, tC1.id]);
    await t.http.post(`/api/v1/users/${c.id}/block`).set(reader.auth).expect(204);
    const afterBlock = await feed(reader);
    expect(ids(afterBlock.data)).toEqual([tB1.id]);
    expect(afterBlock.data[0]).toMatchObject({ posted_by_followed: true, reposted_by: [] });
  });

  it('pages through many followed accounts reposting the same tracks without repeats or gaps', async () => {
    const reader = await registerUser(t);
    const owners = await insertUsers(t, 3, 'Owner');
    const followed = await insertUsers(t, 30, 'Followed');
    const now = Date.parse((await t.http.get('/api/v1/__test/clock')).body.now);
    const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000);
    // each followed account posted one track; three unfollowed tracks reposted by all of them
    const own = followed.map(() => newId('trk'));
    const shared = owners.map(() => newId('trk'));
    await dbQuery(
      t,
      `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, external_url, created_at, updated_at)
       SELECT id, owner, 'x', 100, 'trap', '{}', 'external', 'https://example.com/x', at, at
       FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(id, owner, at)`,
      [
        [...own, ...shared],
        [...followed, ...owners],
        [...followed.map((_, i) => at(1000 + i * 10)), ...owners.map(() => at(5000))],
      ],
    );
    await dbQuery(
      t,
      `INSERT INTO reposts (user_id, track_id, created_at)
       SELECT f, s, $3::timestamptz - (random() * interval '900 seconds')
       FROM unnest($1::text[]) f, unnest($2::text[]) s`,
      [followed, shared, at(0)],
    );
    await dbQuery(
      t,
      `INSERT INTO follows (follower_id, followee_id, created_at) SELECT $1, f, $2 FROM unnest($3::text[]) f`,
      [reader.id, at(0), followed],
    );
    await dbQuery(t, `INSERT INTO follow_counts (user_id, following) VALUES ($1, 30)`, [reader.id]);

    const everything = await allPages(reader, 100);
    expect(everything).toHaveLength(33);
    expect(new Set(ids(everything)).size).toBe(33);
    expect(ids(everything.slice(0, 3)).sort()).toEqual([...shared].sort());
    expect(
      everything.slice(0, 3).every((e) => e.reposted_by_count === 30 && e.reposted_by.length === 3),
    ).toBe(true);
    expect(ids(everything.slice(3))).toEqual(own);
    const times = everything.map((e) => e.activity_at);
    expect([...times].sort().reverse()).toEqual(times);

    for (const limit of [1, 2, 5]) expect(ids(await allPages(reader, limit))).toEqual(ids(everything));

    // activity bounds left high (their newest track was deleted) cost looks, never entries
    await dbQuery(t, `UPDATE activity_heads SET last_at = $2 WHERE user_id = ANY($1::text[])`, [
      followed.slice(0, 20),
      at(0),
    ]);
    for (const limit of [1, 3]) expect(ids(await allPages(reader, limit))).toEqual(ids(everything));
  });

  it('refuses a malformed cursor', async () => {
    const reader = await registerUser(t);
    const res = await t.http.get('/api/v1/feed?cursor=bm9wZQ').set(reader.auth);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
  });
});
