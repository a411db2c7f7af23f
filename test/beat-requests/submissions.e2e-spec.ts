import { flac, piece, wav } from '../support/audio';
import { readyTrack, upload } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { backendPid, lockWaiters } from '../support/locks';
import { dbQuery } from '../support/social';
import { startTestApp, TestApp } from '../support/test-app';
import { login, loginAdmin, registerUser, TestUser } from '../support/users';

describe('submissions to beat requests', () => {
  let t: TestApp;

  const VALID = {
    description: 'Looking for a melodic drill beat',
    reference_track_url: 'https://open.spotify.com/track/abc',
    duration_hours: 24,
  };
  let seed = 1000;
  const audio = () => wav(piece(++seed * 7919, 6));

  const newRequest = async (owner: TestUser) =>
    (await t.http.post('/api/v1/beat-requests').set(owner.auth).send(VALID).expect(201)).body as {
      id: string;
    };
  const submit = (u: TestUser, requestId: string, trackId: string) =>
    t.http.post(`/api/v1/beat-requests/${requestId}/submissions`).set(u.auth).send({ track_id: trackId });
  /** Uploads `n` distinct pieces and processes them all at once. */
  const readyTracks = async (u: TestUser, n: number, make = audio) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await upload(t, u, make()).expect(201)).body.id as string);
    await t.drain();
    return ids;
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('accepts a producer’s ready track and counts it on the request', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const req = await newRequest(artist);
    const track = await readyTrack(t, producer, audio());
    const res = await submit(producer, req.id, track.id).set('Idempotency-Key', 'sub-1').expect(201);
    expect(res.body).toMatchObject({ request_id: req.id, track_id: track.id, producer_id: producer.id });
    const replay = await submit(producer, req.id, track.id).set('Idempotency-Key', 'sub-1').expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(res.body.id);
    const read = await t.http.get(`/api/v1/beat-requests/${req.id}`).expect(200);
    expect(read.body.submission_count).toBe(1);
  });

  it('lets credited collaborators submit a track they do not own', async () => {
    const artist = await registerUser(t);
    const owner = await registerUser(t);
    const co = await registerUser(t);
    const req = await newRequest(artist);
    const track = await readyTrack(t, owner, audio());
    await t.http
      .put(`/api/v1/tracks/${track.id}/collaborators`)
      .set(owner.auth)
      .send({ collaborators: [{ user_id: co.id, role: 'co_producer', split_percent: 100 }] })
      .expect(200);
    await submit(co, req.id, track.id).expect(201);
  });

  it('refuses with each documented code', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const stranger = await registerUser(t);
    const req = await newRequest(artist);
    const mine = await readyTrack(t, producer, audio());
    const theirs = await readyTrack(t, stranger, audio());
    const external = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .send({ title: 'Link', bpm: 120, genre: 'trap', external_url: 'https://soundcloud.com/p/link' })
      .expect(201);
    const pending = await upload(t, producer, audio()).expect(201); // not processed yet

    expectError(await submit(producer, 'req_00000000000000000000000000', mine.id), 404, 'request_not_found');
    expectError(await submit(artist, req.id, mine.id), 403, 'self_submission_blocked');
    expectError(await submit(producer, req.id, 'trk_00000000000000000000000000'), 404, 'track_not_found');
    expectError(await submit(producer, req.id, theirs.id), 403, 'not_track_owner');
    expectError(await submit(producer, req.id, external.body.id), 422, 'track_not_platform_hosted');
    expectError(await submit(producer, req.id, pending.body.id), 422, 'fingerprint_not_completed');
    // a stranger cannot even see someone's unprocessed upload
    expectError(await submit(stranger, req.id, pending.body.id), 404, 'track_not_found');
    await submit(producer, req.id, mine.id).expect(201);
    expectError(await submit(producer, req.id, mine.id), 409, 'duplicate_submission');
    expectError(await submit(producer, req.id, ''), 422, 'validation_failed');

    // a failed fingerprint is not ready either
    const broken = await upload(
      t,
      producer,
      flac(piece(7, 4), { corruptFrames: true }),
      undefined,
      'x.flac',
    ).expect(201);
    await t.drain();
    const failed = await t.http.get(`/api/v1/tracks/${broken.body.id}`).set(producer.auth).expect(200);
    expect(failed.body.processing_status).toBe('failed');
    expectError(await submit(producer, req.id, broken.body.id), 422, 'fingerprint_not_completed');
  });

  it('checks in the documented order', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const stranger = await registerUser(t);
    const req = await newRequest(artist);
    const expiring = await newRequest(producer);
    const theirs = await readyTrack(t, stranger, audio());
    const external = await t.http
      .post('/api/v1/tracks')
      .set(stranger.auth)
      .send({ title: 'Link', bpm: 120, genre: 'trap', external_url: 'https://soundcloud.com/s/link' })
      .expect(201);
    const pendingOfStranger = await upload(t, stranger, audio()).expect(201);
    const pendingExternal = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .send({ title: 'Link 2', bpm: 120, genre: 'trap', external_url: 'https://soundcloud.com/p/link2' })
      .expect(201);

    // own request + someone else's external track: self-submission comes first
    expectError(await submit(artist, req.id, external.body.id), 403, 'self_submission_blocked');
    // someone else's external track: ownership before hosting
    expectError(await submit(producer, req.id, external.body.id), 403, 'not_track_owner');
    // someone else's unprocessed track is invisible: not found before ownership
    expectError(await submit(producer, req.id, pendingOfStranger.body.id), 404, 'track_not_found');
    // an external link is not platform-hosted before it is "not fingerprinted"
    expectError(await submit(producer, req.id, pendingExternal.body.id), 422, 'track_not_platform_hosted');

    // expired beats everything after it, self-submission included
    await t.advanceClock(24 * 3600 + 1);
    for (const u of [producer, stranger]) Object.assign(u, await login(t, u.email, u.password));
    expectError(await submit(producer, expiring.id, theirs.id), 410, 'request_expired');
    // the creator's own expired request, with an unknown track: still request_expired
    expectError(
      await submit(producer, expiring.id, 'trk_00000000000000000000000000'),
      410,
      'request_expired',
    );
    expectError(
      await submit(producer, 'req_00000000000000000000000000', theirs.id),
      404,
      'request_not_found',
    );
  });

  it('holds five per producer per request, also when twenty race', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const req = await newRequest(artist);
    const tracks = await readyTracks(producer, 20);
    const results = await Promise.all(tracks.map((id) => submit(producer, req.id, id)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    for (const r of results.filter((r) => r.status !== 201)) expectError(r, 422, 'submission_limit_reached');
    const read = await t.http.get(`/api/v1/beat-requests/${req.id}`).expect(200);
    expect(read.body.submission_count).toBe(5);
    // the limit is per request: another request takes more
    const other = await newRequest(await registerUser(t));
    await submit(producer, other.id, tracks[0]).expect(201);
  });

  it('refuses the same audio submitted again as another track (≥ 95 % similar)', async () => {
    const artist = await registerUser(t);
    const a = await registerUser(t);
    const b = await registerUser(t);
    const req = await newRequest(artist);
    const pcm = piece(424242, 8);
    const first = await readyTrack(t, a, wav(pcm));
    const copy = await readyTrack(t, b, wav(pcm));
    const different = await readyTrack(t, b, audio());
    await submit(a, req.id, first.id).expect(201);
    const dup = await submit(b, req.id, copy.id);
    expectError(dup, 409, 'duplicate_audio_detected');
    expect(dup.body.matching_track_id).toBe(first.id);
    expect(dup.body.similarity).toBeGreaterThanOrEqual(0.95);
    await submit(b, req.id, different.id).expect(201);
    // the same copy is fine on another request
    await submit(b, (await newRequest(await registerUser(t))).id, copy.id).expect(201);
  });

  it('accepts exactly one of two producers submitting the same audio at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      const artist = await registerUser(t);
      const a = await registerUser(t);
      const b = await registerUser(t);
      const req = await newRequest(artist);
      const pcm = piece(777 + round, 8);
      const [ta] = await readyTracks(a, 1, () => wav(pcm));
      const [tb] = await readyTracks(b, 1, () => wav(pcm));
      const results = await Promise.all([submit(a, req.id, ta), submit(b, req.id, tb)]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expectError(results.find((r) => r.status === 409)!, 409, 'duplicate_audio_detected');
    }
  });

  it('keeps one of each audio when many producers race with copies and distinct tracks mixed', async () => {
    const artist = await registerUser(t);
    const req = await newRequest(artist);
    const pcm = piece(31337, 8);
    const producers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => registerUser(t)));
    const copies = await Promise.all(
      producers.map(async (p) => (await readyTracks(p, 1, () => wav(pcm)))[0]),
    );
    const distinct = await Promise.all(producers.map(async (p) => (await readyTracks(p, 1))[0]));
    const results = await Promise.all(
      producers.flatMap((p, i) => [submit(p, req.id, copies[i]), submit(p, req.id, distinct[i])]),
    );
    const copyResults = results.filter((_, k) => k % 2 === 0);
    expect(copyResults.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of copyResults.filter((r) => r.status !== 201))
      expectError(r, 409, 'duplicate_audio_detected');
    expect(results.filter((_, k) => k % 2 === 1).map((r) => r.status)).toEqual([
      201, 201, 201, 201, 201, 201,
    ]);
    // the database agrees: one copy, six distinct
    const stored = (
      await dbQuery<{ track_id: string }>(t, 'SELECT track_id FROM submissions WHERE request_id = $1', [
        req.id,
      ])
    ).map((r) => r.track_id);
    expect(stored).toHaveLength(7);
    expect(stored.filter((id) => copies.includes(id))).toHaveLength(1);
  });

  it('takes the same track once when it is sent many times at once', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const req = await newRequest(artist);
    const [track] = await readyTracks(producer, 1);
    const results = await Promise.all(Array.from({ length: 8 }, () => submit(producer, req.id, track)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) expectError(r, 409, 'duplicate_submission');
    const stored = await dbQuery(t, 'SELECT 1 FROM submissions WHERE request_id = $1', [req.id]);
    expect(stored).toHaveLength(1);
  });

  it('checks a batch of submissions in its order, each seeing the ones inserted before it', async () => {
    // what one instance sends for a request when several submissions arrive at once
    const artist = await registerUser(t);
    const a = await registerUser(t);
    const b = await registerUser(t);
    const req = await newRequest(artist);
    const pcm = piece(5550123, 8);
    const [copyA] = await readyTracks(a, 1, () => wav(pcm));
    const [copyB] = await readyTracks(b, 1, () => wav(pcm));
    const own = await readyTracks(b, 5);
    const batch = [copyA, copyB, copyA, ...own];
    const producers = [a.id, b.id, a.id, ...own.map(() => b.id)];
    const ids = batch.map((_, i) => `sbm_batch_${String(i).padStart(16, '0')}`);
    const rows = await dbQuery<{
      item: number;
      inserted: boolean;
      already_submitted: boolean;
      producer_count: number;
      candidates: { trackId: string }[];
    }>(
      t,
      `SELECT * FROM submission_try($1, $2, $3, $4, array_fill(now(), ARRAY[$5::int]), 5, 50) ORDER BY item`,
      [req.id, batch, producers, ids, batch.length],
    );
    expect(rows.map((r) => r.item)).toEqual(batch.map((_, i) => i + 1));
    // the copy after the first is a candidate, the same track again is already submitted
    expect(rows[0]).toMatchObject({ inserted: true });
    expect(rows[1]).toMatchObject({ inserted: false, already_submitted: false });
    expect(rows[1].candidates.map((c) => c.trackId)).toEqual([copyA]);
    expect(rows[2]).toMatchObject({ inserted: false, already_submitted: true });
    // b's copy was not inserted, so b's five own tracks all fit
    expect(rows.slice(3).map((r) => [r.inserted, r.producer_count])).toEqual([
      [true, 0],
      [true, 1],
      [true, 2],
      [true, 3],
      [true, 4],
    ]);
    const stored = await dbQuery<{ track_id: string }>(
      t,
      'SELECT track_id FROM submissions WHERE request_id = $1 ORDER BY seq',
      [req.id],
    );
    expect(stored.map((r) => r.track_id)).toEqual([copyA, ...own]);
  });

  it('rolls a batch back whole when one of its submissions breaks a constraint', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const req = await newRequest(artist);
    const [track] = await readyTracks(producer, 1);
    const call = dbQuery(t, `SELECT * FROM submission_try($1, $2, $3, $4, ARRAY[now(), now()], 5, 50)`, [
      req.id,
      [track, 'trk_gone000000000000000000000'],
      [producer.id, producer.id],
      ['sbm_rollback_1_000000000000000', 'sbm_rollback_2_000000000000000'],
    ]);
    await expect(call).rejects.toMatchObject({ code: '23503' });
    expect(await dbQuery(t, 'SELECT 1 FROM submissions WHERE request_id = $1', [req.id])).toEqual([]);
    // the service then runs each alone: the valid one goes in
    await submit(producer, req.id, track).expect(201);
  });

  it('finds the copy submitted while it waited for the lock (not in its snapshot, found under the lock)', async () => {
    const artist = await registerUser(t);
    const a = await registerUser(t);
    const b = await registerUser(t);
    const req = await newRequest(artist);
    const pcm = piece(8675309, 8);
    const [ta] = await readyTracks(a, 1, () => wav(pcm));
    const [tb] = await readyTracks(b, 1, () => wav(pcm));
    const { Client } = await import('pg');
    const [first, second] = [
      new Client({ connectionString: t.databaseUrl }),
      new Client({ connectionString: t.databaseUrl }),
    ];
    await Promise.all([first.connect(), second.connect()]);
    const call = (c: InstanceType<typeof Client>, track: string, producer: string, id: string) =>
      c.query<{ request_found: boolean; inserted: boolean; candidates: { trackId: string }[] }>(
        'SELECT * FROM submission_try($1, $2, $3, $4, ARRAY[now()], 5, 50)',
        [req.id, [track], [producer], [id]],
      );
    try {
      // the first inserts and keeps the request's lock (its transaction is still open)
      const firstPid = await backendPid(first);
      await first.query('BEGIN');
      expect((await call(first, ta, a.id, 'sbm_race_first_0000000000000')).rows[0]).toMatchObject({
        request_found: true,
        inserted: true,
      });
      // the second searches before the lock (the first's insert is not visible), then waits for it:
      // committed only once the second is seen queued on the first's lock (else it could start
      // after the commit and find the copy in its snapshot, and the lock path would go untested)
      const waiting = call(second, tb, b.id, 'sbm_race_second_000000000000');
      await lockWaiters(t.databaseUrl, { count: 1, blockedBy: firstPid });
      await first.query('COMMIT');
      const [outcome] = (await waiting).rows;
      expect(outcome.inserted).toBe(false);
      expect(outcome.candidates.map((c) => c.trackId)).toEqual([ta]);
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
    // through the API the same case is the documented refusal
    expectError(await submit(b, req.id, tb), 409, 'duplicate_audio_detected');
  });

  it('checks, under the lock, with the same candidate rule as every other fingerprint lookup', async () => {
    // the rule is one SQL function (test/audio/fingerprint-candidates): both searches of
    // submission_try (before the lock and under it) read it, and neither spells the rule out again
    const [{ body }] = await dbQuery<{ body: string }>(
      t,
      `SELECT prosrc AS body FROM pg_proc WHERE proname = 'submission_try'`,
    );
    expect(body.split('FROM fingerprint_candidates(v_keys)').length - 1).toBe(2);
    expect(body.split('ORDER BY m.shared_keys DESC, m.track_id').length - 1).toBe(2);
    expect(body).not.toMatch(/icount|hashes &&/);
  });

  it('shows the creator every submission and a producer their own', async () => {
    const artist = await registerUser(t);
    const p1 = await registerUser(t);
    const p2 = await registerUser(t);
    const req = await newRequest(artist);
    const [t1] = await readyTracks(p1, 1);
    const [t2] = await readyTracks(p2, 1);
    await submit(p1, req.id, t1).expect(201);
    await submit(p2, req.id, t2).expect(201);
    const list = (u: TestUser) =>
      t.http.get(`/api/v1/beat-requests/${req.id}/submissions`).set(u.auth).expect(200);
    expect((await list(artist)).body.data.map((s: { track_id: string }) => s.track_id)).toEqual([t2, t1]);
    expect((await list(p1)).body.data.map((s: { track_id: string }) => s.track_id)).toEqual([t1]);
    expect((await list(await registerUser(t))).body.data).toEqual([]);
    // admins moderate: they read every submission, as the creator does
    const ids = (await list(await loginAdmin(t))).body.data.map((s: { track_id: string }) => s.track_id);
    expect(ids).toEqual([t2, t1]);
    expectError(
      await t.http.get('/api/v1/beat-requests/req_00000000000000000000000000/submissions').set(p1.auth),
      404,
      'request_not_found',
    );
    expectError(await t.http.get(`/api/v1/beat-requests/${req.id}/submissions`), 401, 'unauthenticated');
  });

  it('goes with its request when the creator deletes it', async () => {
    const artist = await registerUser(t);
    const producer = await registerUser(t);
    const req = await newRequest(artist);
    const [track] = await readyTracks(producer, 1);
    await submit(producer, req.id, track).expect(201);
    await t.http.delete(`/api/v1/beat-requests/${req.id}`).set(artist.auth).expect(204);
    // the track itself stays
    await t.http.get(`/api/v1/tracks/${track}`).set(producer.auth).expect(200);
    // admins see the request gone too
    const admin = await loginAdmin(t);
    expectError(
      await t.http.get(`/api/v1/beat-requests/${req.id}`).set(admin.auth),
      404,
      'request_not_found',
    );
  });
});
