import { Client } from 'pg';
import { newId } from '../../src/platform/ids';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { SmtpSink } from '../support/smtp-sink';
import { login, loginAdmin, registerUser, type TestUser } from '../support/users';
import { insertArtist, insertOwners, insertTracks } from './radio-catalog';

const API = '/api/v1';

interface Session {
  session_id: string;
  track: { id: string; genre: string } | null;
  next_track: { id: string } | null;
  live: boolean;
  skips_remaining?: number | null;
  track_started_at: string;
}

describe('radio', () => {
  let t: TestApp;
  let db: Client;
  let admin: TestUser;
  let owner: string;

  const start = (u: TestUser, station: string, device = 'phone') =>
    t.http.post(`${API}/radio/sessions`).set(u.auth).send({ station_id: station, device_id: device });
  const act = (u: TestUser, id: string, what: 'next' | 'skip' | 'heartbeat', body: object = {}) =>
    t.http.post(`${API}/radio/sessions/${id}/${what}`).set(u.auth).send(body);
  /** Signs the admin in again first: earlier tests moved the clock past its token's hour. */
  const setPlan = async (u: TestUser, plan: string) => {
    admin = await loginAdmin(t);
    await t.http.put(`${API}/admin/users/${u.id}/plan`).set(admin.auth).send({ plan }).expect(200);
  };
  const openSessions = async (userId: string) =>
    (
      await db.query('SELECT id, device_id FROM radio_sessions WHERE user_id = $1 AND ended_at IS NULL', [
        userId,
      ])
    ).rows as { id: string; device_id: string }[];

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    admin = await loginAdmin(t);
    [owner] = await insertOwners(db, 1);
    // a catalogue: 30 playable trap tracks, a few unplayable ones in the same genre
    await insertTracks(
      db,
      Array.from({ length: 30 }, (_, i) => ({ ownerId: owner, genre: 'trap', bpm: 140, title: `Trap ${i}` })),
    );
    await insertTracks(db, [
      { ownerId: owner, genre: 'trap', bpm: 140, status: 'pending', title: 'Pending' },
      { ownerId: owner, genre: 'trap', bpm: 140, status: 'processing', title: 'Processing' },
      { ownerId: owner, genre: 'trap', bpm: 140, status: 'failed', title: 'Failed' },
      { ownerId: owner, genre: 'trap', bpm: 140, source: 'external', title: 'External' },
      { ownerId: owner, genre: 'unheard', bpm: 100, status: 'pending', title: 'Only pending' },
    ]);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  describe('stations', () => {
    it('lists genres with playable tracks, alphabetically, cursor-paginated', async () => {
      await insertTracks(db, [
        { ownerId: owner, genre: 'afrobeats', bpm: 100 },
        { ownerId: owner, genre: 'boom bap', bpm: 90 },
      ]);
      const first = await t.http.get(`${API}/radio/stations?type=genre&limit=2`).expect(200);
      expect(first.body.data).toEqual([
        { id: 'genre:afrobeats', type: 'genre', name: 'afrobeats' },
        { id: 'genre:boom bap', type: 'genre', name: 'boom bap' },
      ]);
      const rest = await t.http
        .get(`${API}/radio/stations?limit=50&cursor=${first.body.next_cursor}`)
        .expect(200);
      const names = rest.body.data.map((s: { name: string }) => s.name);
      expect(names).toContain('trap');
      expect(names).not.toContain('unheard'); // nothing playable
      expect(rest.body.next_cursor).toBeNull();
      expectError(await t.http.get(`${API}/radio/stations?cursor=nonsense`), 422, 'validation_failed');
      expectError(await t.http.get(`${API}/radio/stations?type=mood`), 422, 'validation_failed');
    });

    it('lists artists with playable tracks and playable tracks, newest first', async () => {
      const [o] = await insertOwners(db, 1);
      const withTracks = await insertArtist(db, o, 'Listed Artist');
      const [o2] = await insertOwners(db, 1);
      const silent = await insertArtist(db, o2, 'Silent Artist');
      await insertTracks(db, [
        { ownerId: o, artistId: withTracks, genre: 'jazz', bpm: 120, title: 'Listed track' },
        { ownerId: o2, artistId: silent, genre: 'jazz', bpm: 120, status: 'failed', title: 'Unlisted track' },
      ]);
      const artists = await t.http.get(`${API}/radio/stations?type=artist&limit=100`).expect(200);
      const ids = artists.body.data.map((s: { id: string }) => s.id);
      expect(ids).toContain(`artist:${withTracks}`);
      expect(ids).not.toContain(`artist:${silent}`);
      const tracks = await t.http.get(`${API}/radio/stations?type=track&limit=1`).expect(200);
      expect(tracks.body.data[0].type).toBe('track');
      const page2 = await t.http
        .get(`${API}/radio/stations?type=track&limit=100&cursor=${tracks.body.next_cursor}`)
        .expect(200);
      const titles = [...tracks.body.data, ...page2.body.data].map((s: { name: string }) => s.name);
      expect(titles).toContain('Listed track');
      for (const hidden of ['Unlisted track', 'Pending', 'Processing', 'Failed', 'External'])
        expect(titles).not.toContain(hidden);
    });

    it('describes each kind of station; unknown or unplayable seeds are station_not_found', async () => {
      const genre = await t.http.get(`${API}/radio/stations/genre:Trap`).expect(200);
      expect(genre.body).toMatchObject({ id: 'genre:trap', type: 'genre', rule: { genres: ['trap'] } });

      const [o] = await insertOwners(db, 1);
      const artist = await insertArtist(db, o, 'Describe Me');
      const [seed, pending] = await insertTracks(db, [
        { ownerId: o, artistId: artist, genre: 'trap', bpm: 100, key: 'Am' },
        { ownerId: o, artistId: artist, genre: 'trap', bpm: 100, key: 'Am', status: 'pending' },
      ]);
      const a = await t.http.get(`${API}/radio/stations/artist:${artist}`).expect(200);
      expect(a.body).toMatchObject({ type: 'artist', name: 'Describe Me', artist: { id: artist } });
      expect(a.body.rule.artist_ids[0]).toBe(artist);
      const tr = await t.http.get(`${API}/radio/stations/track:${seed}`).expect(200);
      expect(tr.body.rule).toEqual({
        genres: expect.arrayContaining(['trap', 'drill']),
        keys: expect.arrayContaining(['8A', '8B', '7A', '9A']),
        bpm: [
          { min: 47, max: 53 },
          { min: 94, max: 106 },
          { min: 188, max: 212 },
        ],
      });
      expect(tr.body.track).toMatchObject({ id: seed, camelot: '8A' });

      const [o3] = await insertOwners(db, 1);
      const silent = await insertArtist(db, o3, 'No Tracks');
      for (const id of [
        'genre:polka',
        'genre:unheard',
        `artist:${silent}`,
        'artist:art_doesnotexist',
        `track:${pending}`,
        'track:trk_doesnotexist',
        'mood:dark',
        'trap',
      ]) {
        const res = await t.http.get(`${API}/radio/stations/${encodeURIComponent(id)}`);
        expectError(res, 404, 'station_not_found');
      }
      const u = await registerUser(t);
      expectError(await start(u, 'genre:polka'), 404, 'station_not_found');
      expectError(await start(u, `track:${pending}`), 404, 'station_not_found');
    });
  });

  describe('sessions', () => {
    it('plays a station: current and upcoming tracks, next, history, play counts, end', async () => {
      const u = await registerUser(t);
      const started = await start(u, 'genre:trap').expect(201);
      const s = started.body as Session;
      expect(s.track?.genre).toBe('trap');
      expect(s.next_track?.id).toBeDefined();
      expect(s.next_track?.id).not.toBe(s.track?.id);
      expect(s.live).toBe(true);

      const got = await t.http.get(`${API}/radio/sessions/${s.session_id}`).set(u.auth).expect(200);
      expect(got.body).toMatchObject({ track: { id: s.track!.id }, next_track: { id: s.next_track!.id } });
      expect(got.body.skips_remaining).toBe(6);

      // the first track plays 31 s: its play counts (≥ 30 s heard, the listening rule)
      await t.advanceClock(31);
      const moved = (await act(u, s.session_id, 'next').expect(200)).body as Session;
      expect(moved.track?.id).toBe(s.next_track!.id);

      // a retried next (the track that ended is no longer current) moves nothing
      const retried = (await act(u, s.session_id, 'next', { track_id: s.track!.id }).expect(200))
        .body as Session;
      expect(retried.track?.id).toBe(moved.track!.id);
      expect(retried.next_track?.id).toBe(moved.next_track!.id);

      await act(u, s.session_id, 'heartbeat').expect(200);

      // a like saves the playing track to the library, once
      const liked = await t.http.post(`${API}/radio/sessions/${s.session_id}/like`).set(u.auth).expect(201);
      expect(liked.body.track_id).toBe(moved.track!.id);
      const library = await t.http.get(`${API}/library/tracks`).set(u.auth).expect(200);
      expect(library.body.data.map((e: { track_id: string }) => e.track_id)).toContain(moved.track!.id);
      expectError(
        await t.http.post(`${API}/radio/sessions/${s.session_id}/like`).set(u.auth),
        409,
        'track_already_saved',
      );

      const listens = await t.http.get(`${API}/me/listens?limit=1`).set(u.auth).expect(200);
      expect(listens.body.data[0]).toMatchObject({
        track: { id: moved.track!.id },
        session_id: s.session_id,
      });
      const older = await t.http
        .get(`${API}/me/listens?cursor=${listens.body.next_cursor}`)
        .set(u.auth)
        .expect(200);
      expect(older.body.data.map((l: { track: { id: string } }) => l.track.id)).toEqual([s.track!.id]);

      // play counts: the producers see them, others get not_credited_producer
      const ownerCount = await db.query('SELECT plays::int FROM track_play_counts WHERE track_id = $1', [
        s.track!.id,
      ]);
      expect(ownerCount.rows[0].plays).toBe(1);
      const producer = await registerUser(t);
      const [mine] = await insertTracks(db, [{ ownerId: producer.id, genre: 'solo genre', bpm: 90 }]);
      const solo = (await start(producer, 'genre:solo genre', 'laptop').expect(201)).body as Session;
      expect(solo.track?.id).toBe(mine);
      expect(solo.next_track?.id).toBe(mine); // a one-track station repeats
      await t.advanceClock(31);
      await act(producer, solo.session_id, 'next').expect(200);
      // a producer's own plays never count (the same rule as POST /tracks/:id/plays)
      const plays = await t.http.get(`${API}/tracks/${mine}/plays`).set(producer.auth).expect(200);
      expect(plays.body).toEqual({ track_id: mine, plays: 0 });
      expectError(await t.http.get(`${API}/tracks/${mine}/plays`).set(u.auth), 403, 'not_credited_producer');
      await t.http.get(`${API}/tracks/${mine}/plays`).set(admin.auth).expect(200);
      expectError(
        await t.http.get(`${API}/tracks/${newId('trk')}/plays`).set(u.auth),
        404,
        'track_not_found',
      );

      // someone else's session is not found
      for (const res of [
        await t.http.get(`${API}/radio/sessions/${s.session_id}`).set(producer.auth),
        await act(producer, s.session_id, 'next'),
        await act(producer, s.session_id, 'skip'),
        await act(producer, s.session_id, 'heartbeat'),
        await t.http.post(`${API}/radio/sessions/${s.session_id}/like`).set(producer.auth),
        await t.http.delete(`${API}/radio/sessions/${s.session_id}`).set(producer.auth),
      ])
        expectError(res, 404, 'radio_session_not_found');

      await t.http.delete(`${API}/radio/sessions/${s.session_id}`).set(u.auth).expect(204);
      for (const res of [
        await t.http.get(`${API}/radio/sessions/${s.session_id}`).set(u.auth),
        await act(u, s.session_id, 'next'),
        await act(u, s.session_id, 'heartbeat'),
        await t.http.delete(`${API}/radio/sessions/${s.session_id}`).set(u.auth),
        await t.http.get(`${API}/radio/sessions/${newId('rds')}`).set(u.auth),
      ])
        expectError(res, 404, 'radio_session_not_found');
    });

    it('validates the start body', async () => {
      const u = await registerUser(t);
      expectError(
        await t.http.post(`${API}/radio/sessions`).set(u.auth).send({ station_id: 'genre:trap' }),
        422,
        'validation_failed',
      );
      expectError(
        await t.http
          .post(`${API}/radio/sessions`)
          .set(u.auth)
          .send({ station_id: 'genre:trap', device_id: 'bad device id' }),
        422,
        'validation_failed',
      );
      expectError(await t.http.post(`${API}/radio/sessions`).send({}), 401, 'unauthenticated');
    });

    it('never plays a track the listener may not hear, and survives a deleted upcoming track', async () => {
      const u = await registerUser(t);
      const playable = new Set(
        (
          await db.query(
            `SELECT id FROM tracks WHERE genre = 'trap' AND source = 'upload' AND processing_status = 'ready'`,
          )
        ).rows.map((r: { id: string }) => r.id),
      );
      let s = (await start(u, 'genre:trap').expect(201)).body as Session;
      const played: string[] = [s.track!.id];
      for (let i = 0; i < 40; i++) {
        s = (await act(u, s.session_id, 'next').expect(200)).body as Session;
        played.push(s.track!.id);
      }
      for (const id of played) expect(playable.has(id)).toBe(true);
      // 30+ playable tracks: no repeat within 20
      for (let i = 0; i < played.length; i++)
        expect(played.slice(Math.max(0, i - 20), i)).not.toContain(played[i]);

      // the upcoming track is deleted: the session moves on to another one
      const [doomedOwner] = await insertOwners(db, 1);
      const [a, b] = await insertTracks(db, [
        { ownerId: doomedOwner, genre: 'tiny', bpm: 100 },
        { ownerId: doomedOwner, genre: 'tiny', bpm: 100 },
      ]);
      const v = await registerUser(t);
      let tiny = (await start(v, 'genre:tiny').expect(201)).body as Session;
      await db.query('DELETE FROM tracks WHERE id = $1', [tiny.next_track!.id]);
      tiny = (await act(v, tiny.session_id, 'next').expect(200)).body as Session;
      expect([a, b]).toContain(tiny.track!.id);
      const left = (await db.query('SELECT id FROM tracks WHERE id = ANY($1)', [[a, b]])).rows[0].id;
      expect(tiny.track!.id).toBe(left);
    });
    it('never plays a track whose owner and the listener blocked each other, either way', async () => {
      const [blockedOwner, blockerOwner, friend] = await insertOwners(db, 3);
      const ids = (owner: string, n: number) =>
        Array.from({ length: n }, () => ({ ownerId: owner, genre: 'blockwave', bpm: 120 }));
      await insertTracks(db, [...ids(blockedOwner, 15), ...ids(blockerOwner, 15)]);
      const ok = new Set(await insertTracks(db, ids(friend, 3)));
      const u = await registerUser(t);
      await db.query(
        `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, now()), ($3, $1, now())`,
        [u.id, blockedOwner, blockerOwner],
      );
      let s = (await start(u, 'genre:blockwave').expect(201)).body as Session;
      const played = [s.track!.id, s.next_track!.id];
      for (let i = 0; i < 10; i++) {
        s = (await act(u, s.session_id, 'next').expect(200)).body as Session;
        played.push(s.track!.id, s.next_track!.id);
      }
      for (const id of played) expect(ok.has(id)).toBe(true);
    });
  });

  describe('one live stream per user', () => {
    it('10 parallel starts from 10 devices: exactly one live session', async () => {
      const u = await registerUser(t);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => start(u, 'genre:trap', `device-${i}`)),
      );
      const ok = responses.filter((r) => r.status === 201);
      expect(ok).toHaveLength(1);
      for (const r of responses.filter((x) => x.status !== 201))
        expectError(r, 429, 'concurrent_stream_limit');
      const open = await openSessions(u.id);
      expect(open).toEqual([{ id: ok[0].body.session_id, device_id: expect.any(String) }]);
    });

    it('the same device takes its session over; a lapsed heartbeat is replaced by the clock', async () => {
      const u = await registerUser(t);
      const first = (await start(u, 'genre:trap', 'phone').expect(201)).body as Session;
      const again = (await start(u, 'genre:trap', 'phone').expect(201)).body as Session;
      expectError(await act(u, first.session_id, 'heartbeat'), 404, 'radio_session_not_found');
      expectError(await start(u, 'genre:trap', 'laptop'), 429, 'concurrent_stream_limit');

      // 59 s after its heartbeat the phone is still live; a heartbeat keeps it so
      await t.advanceClock(59);
      expectError(await start(u, 'genre:trap', 'laptop'), 429, 'concurrent_stream_limit');
      await act(u, again.session_id, 'heartbeat').expect(200);
      await t.advanceClock(59);
      expectError(await start(u, 'genre:trap', 'laptop'), 429, 'concurrent_stream_limit');

      // lapsed: the laptop replaces it
      await t.advanceClock(2);
      const lapsed = await t.http.get(`${API}/radio/sessions/${again.session_id}`).set(u.auth).expect(200);
      expect(lapsed.body.live).toBe(false);
      const laptop = (await start(u, 'genre:trap', 'laptop').expect(201)).body as Session;
      expectError(await act(u, again.session_id, 'heartbeat'), 404, 'radio_session_not_found');
      expect(await openSessions(u.id)).toEqual([{ id: laptop.session_id, device_id: 'laptop' }]);

      // ending a session frees the user at once
      await t.http.delete(`${API}/radio/sessions/${laptop.session_id}`).set(u.auth).expect(204);
      await start(u, 'genre:trap', 'phone').expect(201);
    });
  });

  describe('skips', () => {
    it('20 parallel skips on explorer: exactly 6 accepted in the rolling hour, again an hour later', async () => {
      const u = await registerUser(t);
      const s = (await start(u, 'genre:trap').expect(201)).body as Session;
      const responses = await Promise.all(Array.from({ length: 20 }, () => act(u, s.session_id, 'skip')));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(6);
      const refused = responses.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(14);
      for (const r of refused) {
        expectError(r, 429, 'skip_limit_reached');
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(3500);
        expect(r.body.retry_after).toBe(Number(r.headers['retry-after']));
      }
      const counted = await db.query('SELECT count(*)::int AS n FROM radio_skips WHERE user_id = $1', [u.id]);
      expect(counted.rows[0].n).toBe(6);
      const remaining = (await t.http.get(`${API}/radio/sessions/${s.session_id}`).set(u.auth)).body;
      expect(remaining.skips_remaining).toBe(0);

      // a rolling hour: 59 minutes later still refused, an hour later accepted again
      // (the track playing since then is over by now: skipping it would be a `next`, not counted)
      await t.advanceClock(59 * 60);
      await act(u, s.session_id, 'next').expect(200);
      const stillLimited = await act(u, s.session_id, 'skip');
      expectError(stillLimited, 429, 'skip_limit_reached');
      expect(Number(stillLimited.headers['retry-after'])).toBeLessThanOrEqual(60);
      await t.advanceClock(60);
      const again = { ...u, ...(await login(t, u.email, u.password)) }; // the access token's hour is over too
      const ok = (await act(again, s.session_id, 'skip').expect(200)).body as Session;
      expect(ok.skips_remaining).toBe(5);
    });

    it('a plan change applies to the next skip; pro is unlimited', async () => {
      const u = await registerUser(t);
      const s = (await start(u, 'genre:trap').expect(201)).body as Session;
      for (let i = 0; i < 6; i++) await act(u, s.session_id, 'skip').expect(200);
      expectError(await act(u, s.session_id, 'skip'), 429, 'skip_limit_reached');
      await setPlan(u, 'plus');
      const plus = (await act(u, s.session_id, 'skip').expect(200)).body as Session;
      expect(plus.skips_remaining).toBe(30 - 7);
      await setPlan(u, 'pro');
      for (let i = 0; i < 30; i++) {
        const r = (await act(u, s.session_id, 'skip').expect(200)).body as Session;
        expect(r.skips_remaining).toBeNull();
      }
      await setPlan(u, 'classic');
      expectError(await act(u, s.session_id, 'skip'), 429, 'skip_limit_reached');
    });

    it('a skip after the track is over is not counted; a retried skip is not counted twice', async () => {
      const u = await registerUser(t);
      let s = (await start(u, 'genre:trap').expect(201)).body as Session;
      s = (await act(u, s.session_id, 'skip').expect(200)).body as Session;
      expect(s.skips_remaining).toBe(5);
      const current = s.track!.id;
      s = (await act(u, s.session_id, 'skip', { track_id: 'trk_notcurrent0000000000000' }).expect(200))
        .body as Session;
      expect(s.track!.id).toBe(current);
      expect(s.skips_remaining).toBe(5);

      await t.advanceClock(180); // every seeded track lasts 180 s
      s = (await act(u, s.session_id, 'skip').expect(200)).body as Session;
      expect(s.track!.id).not.toBe(current);
      expect(s.skips_remaining).toBe(5);
      const counted = await db.query('SELECT count(*)::int AS n FROM radio_skips WHERE user_id = $1', [u.id]);
      expect(counted.rows[0].n).toBe(1);
    });
  });
});

describe('radio on two instances sharing one database', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let one: TestApp;
  let two: TestApp;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = new SmtpSink();
    await smtp.start();
    one = await startTestApp({}, { database: db, smtp });
    two = await startTestApp({}, { database: db, smtp });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const [owner] = await insertOwners(pg, 1);
    await insertTracks(
      pg,
      Array.from({ length: 25 }, () => ({ ownerId: owner, genre: 'house', bpm: 124 })),
    );
  });
  afterAll(async () => {
    await pg?.end();
    await one?.close();
    await two?.close();
    await smtp?.stop();
    await db?.drop();
  });

  it('starts from 10 devices across both instances: exactly one live session', async () => {
    const u = await registerUser(one);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? one : two).http
          .post(`${API}/radio/sessions`)
          .set(u.auth)
          .send({ station_id: 'genre:house', device_id: `device-${i}` }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of responses.filter((x) => x.status !== 201)) expectError(r, 429, 'concurrent_stream_limit');
    const open = await pg.query(
      'SELECT count(*)::int AS n FROM radio_sessions WHERE user_id = $1 AND ended_at IS NULL',
      [u.id],
    );
    expect(open.rows[0].n).toBe(1);
  });

  it('20 parallel skips across both instances on explorer: exactly 6', async () => {
    const u = await registerUser(one);
    const s = await one.http
      .post(`${API}/radio/sessions`)
      .set(u.auth)
      .send({ station_id: 'genre:house', device_id: 'phone' })
      .expect(201);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? one : two).http.post(`${API}/radio/sessions/${s.body.session_id}/skip`).set(u.auth).send({}),
      ),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(6);
    const refused = responses.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(14);
    for (const r of refused) expectError(r, 429, 'skip_limit_reached');
    const counted = await pg.query('SELECT count(*)::int AS n FROM radio_skips WHERE user_id = $1', [u.id]);
    expect(counted.rows[0].n).toBe(6);
  });
});
