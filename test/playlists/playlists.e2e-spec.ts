import { Client } from 'pg';
import { piece, wav } from '../support/audio';
import { upload } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { linkTrack, linkTracks } from '../support/library';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

const PLAYLISTS = 3;
const TRACKS = 6;

describe('playlists', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_PLAYLISTS: String(PLAYLISTS), LIMIT_PLAYLIST_TRACKS: String(TRACKS) });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const create = (u: TestUser, body: object = { name: 'Late night', visibility: 'public' }) =>
    t.http.post('/api/v1/playlists').set(u.auth).send(body);
  const add = (u: TestUser, id: string, trackId: string) =>
    t.http.post(`/api/v1/playlists/${id}/tracks`).set(u.auth).send({ track_id: trackId });
  const order = async (id: string, u?: TestUser) => {
    const req = t.http.get(`/api/v1/playlists/${id}`);
    const res = await (u ? req.set(u.auth) : req).expect(200);
    return (res.body.tracks as { track_id: string }[]).map((e) => e.track_id);
  };
  /** Makes `editor` an editor of the playlist through an accepted invitation. */
  const makeEditor = async (owner: TestUser, id: string, editor: TestUser) => {
    const inv = await t.http
      .post(`/api/v1/playlists/${id}/invitations`)
      .set(owner.auth)
      .send({ user_id: editor.id })
      .expect(201);
    await t.http.post(`/api/v1/playlist-invitations/${inv.body.id}/accept`).set(editor.auth).expect(200);
  };

  it('creates with an ETag, reads, lists, edits with If-Match, deletes', async () => {
    const owner = await registerUser(t);
    const other = await registerUser(t);
    const res = await create(owner, { name: '  Focus ', description: 'deep work', visibility: 'public' })
      .set('Idempotency-Key', 'pl-1')
      .expect(201);
    expect(res.body).toMatchObject({
      name: 'Focus',
      description: 'deep work',
      visibility: 'public',
      version: 1,
      track_count: 0,
      duration_ms: 0,
      role: 'owner',
      editors: [],
      tracks: [],
    });
    expect(res.headers.etag).toBe('"1"');
    const replay = await create(owner, { name: '  Focus ', description: 'deep work', visibility: 'public' })
      .set('Idempotency-Key', 'pl-1')
      .expect(201);
    expect(replay.body.id).toBe(res.body.id);
    const id = res.body.id as string;

    const anon = await t.http.get(`/api/v1/playlists/${id}`).expect(200);
    expect(anon.body.role).toBeNull();
    const priv = await create(owner, { name: 'Secret', visibility: 'private' }).expect(201);
    expectError(
      await t.http.get(`/api/v1/playlists/${priv.body.id}`).set(other.auth),
      404,
      'playlist_not_found',
    );
    expectError(await t.http.get(`/api/v1/playlists/${priv.body.id}`), 404, 'playlist_not_found');
    expectError(
      await t.http.get('/api/v1/playlists/pl_00000000000000000000000000'),
      404,
      'playlist_not_found',
    );

    const theirs = await t.http.get(`/api/v1/users/${owner.id}/playlists`).set(other.auth).expect(200);
    expect(theirs.body.data.map((p: { id: string }) => p.id)).toEqual([id]);
    const own = await t.http.get(`/api/v1/users/${owner.id}/playlists`).set(owner.auth).expect(200);
    expect(own.body.data.map((p: { id: string }) => p.id)).toEqual([priv.body.id, id]);
    const mine = await t.http.get('/api/v1/me/playlists').set(owner.auth).expect(200);
    expect(mine.body.data).toHaveLength(2);
    expectError(
      await t.http.get('/api/v1/users/usr_00000000000000000000000000/playlists'),
      404,
      'user_not_found',
    );

    expectError(
      await t.http.patch(`/api/v1/playlists/${id}`).set(other.auth).send({ name: 'Mine now' }),
      403,
      'forbidden',
    );
    expectError(
      await t.http
        .patch(`/api/v1/playlists/${id}`)
        .set(owner.auth)
        .set('If-Match', '"7"')
        .send({ name: 'x' }),
      409,
      'stale_version',
    );
    const patched = await t.http
      .patch(`/api/v1/playlists/${id}`)
      .set(owner.auth)
      .set('If-Match', '"1"')
      .send({ name: 'Focus 2', description: null, visibility: 'private' })
      .expect(200);
    expect(patched.body).toMatchObject({
      name: 'Focus 2',
      description: null,
      visibility: 'private',
      version: 2,
    });
    expect(patched.headers.etag).toBe('"2"');
    expectError(await t.http.get(`/api/v1/playlists/${id}`).set(other.auth), 404, 'playlist_not_found');

    expectError(
      await t.http.delete(`/api/v1/playlists/${priv.body.id}`).set(other.auth),
      404,
      'playlist_not_found',
    );
    await t.http.delete(`/api/v1/playlists/${priv.body.id}`).set(owner.auth).expect(204);
    expectError(
      await t.http.get(`/api/v1/playlists/${priv.body.id}`).set(owner.auth),
      404,
      'playlist_not_found',
    );
  });

  it('validates the body', async () => {
    const owner = await registerUser(t);
    expectError(await create(owner, { name: '', visibility: 'public' }), 422, 'validation_failed');
    expectError(await create(owner, { name: 'x', visibility: 'friends' }), 422, 'validation_failed');
  });

  it('holds LIMIT_PLAYLISTS under concurrent creations', async () => {
    const owner = await registerUser(t);
    await create(owner).expect(201);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => create(owner, { name: `p${i}`, visibility: 'private' })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(PLAYLISTS - 1);
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 429, 'playlist_limit_reached');
    const n = await db.query('SELECT count(*)::int AS n FROM playlists WHERE owner_id = $1', [owner.id]);
    expect(n.rows[0].n).toBe(PLAYLISTS);
  });

  it('adds tracks with who and when, totals, refuses duplicates and invisible tracks, removes', async () => {
    const owner = await registerUser(t);
    const stranger = await registerUser(t);
    const pl = (await create(owner).expect(201)).body.id as string;
    const [a, b] = await linkTracks(t, owner, 2);
    const added = await add(owner, pl, a).expect(201);
    expect(added.body).toMatchObject({
      playlist_id: pl,
      version: 2,
      track_count: 1,
      entry: { track_id: a, added_by: owner.id },
    });
    expect(added.headers.etag).toBe('"2"');
    await add(owner, pl, b).expect(201);
    expectError(await add(owner, pl, a), 409, 'track_already_in_playlist');
    expectError(await add(stranger, pl, a), 403, 'forbidden');
    const pending = (await upload(t, stranger, wav(piece(99, 2))).expect(201)).body.id as string;
    expectError(await add(owner, pl, pending), 404, 'track_not_found');
    expectError(await add(owner, 'pl_00000000000000000000000000', a), 404, 'playlist_not_found');

    // an upload: its duration counts in the total
    const upl = (await upload(t, owner, wav(piece(123, 3))).expect(201)).body.id as string;
    await add(owner, pl, upl).expect(201);
    const read = await t.http.get(`/api/v1/playlists/${pl}`).expect(200);
    expect(read.body.track_count).toBe(3);
    expect(read.body.duration_ms).toBeGreaterThanOrEqual(2900);
    // the upload is still processing: others see it as unavailable, in its place
    expect(read.body.tracks.map((e: { available: boolean }) => e.available)).toEqual([true, true, false]);
    expect(read.body.tracks[0]).toMatchObject({
      track_id: a,
      added_by: owner.id,
      track: { id: a, title: expect.any(String) },
    });

    const removed = await t.http.delete(`/api/v1/playlists/${pl}/tracks/${a}`).set(owner.auth).expect(200);
    expect(removed.body).toMatchObject({ version: 5, track_count: 2 });
    expectError(
      await t.http.delete(`/api/v1/playlists/${pl}/tracks/${a}`).set(owner.auth),
      404,
      'track_not_found',
    );

    // a deleted track leaves the playlist
    await t.http.delete(`/api/v1/tracks/${b}`).set(owner.auth).expect(204);
    expect(await order(pl, owner)).toEqual([upl]);
  });

  it('reorders (track_set_mismatch, stale_version) and moves one track', async () => {
    const owner = await registerUser(t);
    const pl = (await create(owner).expect(201)).body.id as string;
    const [a, b, c, d] = await linkTracks(t, owner, 4);
    for (const id of [a, b, c, d]) await add(owner, pl, id).expect(201);
    const v = 5;
    const put = (ids: string[], etag?: string) => {
      const req = t.http.put(`/api/v1/playlists/${pl}/tracks/order`).set(owner.auth);
      return (etag ? req.set('If-Match', etag) : req).send({ track_ids: ids });
    };
    expectError(await put([a, b, c], `"${v}"`), 409, 'track_set_mismatch');
    expectError(await put([a, b, c, c], `"${v}"`), 409, 'track_set_mismatch');
    expectError(await put([d, c, b, a], '"1"'), 409, 'stale_version');
    const res = await put([d, c, b, a], `"${v}"`).expect(200);
    expect(res.body).toMatchObject({ version: v + 1, track_ids: [d, c, b, a] });
    expect(res.headers.etag).toBe(`"${v + 1}"`);
    expect(await order(pl)).toEqual([d, c, b, a]);

    const move = (body: object, etag?: string) => {
      const req = t.http.post(`/api/v1/playlists/${pl}/tracks/move`).set(owner.auth);
      return (etag ? req.set('If-Match', etag) : req).send(body);
    };
    const m = await move({ track_id: a, before_track_id: d }, `"${v + 1}"`).expect(200);
    expect(m.body).toMatchObject({ version: v + 2, track_id: a, before_track_id: d });
    expect(m.headers.etag).toBe(`"${v + 2}"`);
    expect(await order(pl)).toEqual([a, d, c, b]);
    expectError(await move({ track_id: a, before_track_id: null }, `"${v + 1}"`), 409, 'stale_version');
    await move({ track_id: a, before_track_id: null }).expect(200);
    expect(await order(pl)).toEqual([d, c, b, a]);
    await move({ track_id: b, before_track_id: c }).expect(200);
    expect(await order(pl)).toEqual([d, b, c, a]);
    const outsider = await linkTrack(t, owner);
    expectError(await move({ track_id: outsider, before_track_id: null }), 409, 'track_set_mismatch');
    expectError(await move({ track_id: a, before_track_id: outsider }), 409, 'track_set_mismatch');
    expectError(await move({ track_id: a, before_track_id: a }), 422, 'validation_failed');
    expectError(await move({ track_id: a }), 422, 'validation_failed');
  });

  it('spreads the keys out again when a move would make one too long', async () => {
    const owner = await registerUser(t);
    const pl = (await create(owner).expect(201)).body.id as string;
    const [a, b, c] = await linkTracks(t, owner, 3);
    for (const id of [a, b, c]) await add(owner, pl, id).expect(201);
    // two neighbours whose keys differ only in a 46th character, as thousands of moves would leave them
    const long = 'a0' + 'V'.repeat(44);
    await db.query(
      `UPDATE playlist_tracks SET position = CASE track_id WHEN $2 THEN $3 WHEN $4 THEN $5 ELSE 'a1' END
       WHERE playlist_id = $1`,
      [pl, a, long, b, `${long}V`],
    );
    await t.http
      .post(`/api/v1/playlists/${pl}/tracks/move`)
      .set(owner.auth)
      .send({ track_id: c, before_track_id: b })
      .expect(200);
    expect(await order(pl)).toEqual([a, c, b]);
    const keys = await db.query(
      'SELECT max(length(position))::int AS n FROM playlist_tracks WHERE playlist_id = $1',
      [pl],
    );
    expect(keys.rows[0].n).toBeLessThanOrEqual(3);
  });

  it('duplicates a public playlist into your own (visible tracks, same order)', async () => {
    const owner = await registerUser(t);
    const fan = await registerUser(t);
    const pl = (await create(owner, { name: 'Originals', visibility: 'public' }).expect(201)).body
      .id as string;
    const [a, b] = await linkTracks(t, owner, 2);
    const hidden = (await upload(t, owner, wav(piece(5, 2))).expect(201)).body.id as string;
    for (const id of [b, hidden, a]) await add(owner, pl, id).expect(201);
    const copy = await t.http.post(`/api/v1/playlists/${pl}/duplicate`).set(fan.auth).send({}).expect(201);
    expect(copy.body).toMatchObject({
      owner_id: fan.id,
      name: 'Originals (copy)',
      visibility: 'private',
      role: 'owner',
    });
    expect(
      copy.body.tracks.map((e: { track_id: string; added_by: string }) => [e.track_id, e.added_by]),
    ).toEqual([
      [b, fan.id],
      [a, fan.id],
    ]);
    const priv = (await create(owner, { name: 'Mine', visibility: 'private' }).expect(201)).body.id as string;
    expectError(
      await t.http.post(`/api/v1/playlists/${priv}/duplicate`).set(fan.auth).send({}),
      404,
      'playlist_not_found',
    );
  });

  it('holds LIMIT_PLAYLIST_TRACKS under 20 concurrent adds by three members: exactly one lands', async () => {
    const owner = await registerUser(t);
    const e1 = await registerUser(t);
    const e2 = await registerUser(t);
    const pl = (await create(owner).expect(201)).body.id as string;
    await makeEditor(owner, pl, e1);
    await makeEditor(owner, pl, e2);
    const tracks = await linkTracks(t, owner, TRACKS - 1 + 20);
    for (const id of tracks.slice(0, TRACKS - 1)) await add(owner, pl, id).expect(201);
    const before = (await t.http.get(`/api/v1/playlists/${pl}`).expect(200)).body.version as number;
    const members = [owner, e1, e2];
    const results = await Promise.all(tracks.slice(TRACKS - 1).map((id, i) => add(members[i % 3], pl, id)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 429, 'playlist_full');
    const n = await db.query('SELECT count(*)::int AS n FROM playlist_tracks WHERE playlist_id = $1', [pl]);
    expect(n.rows[0].n).toBe(TRACKS);
    const after = await db.query('SELECT version FROM playlists WHERE id = $1', [pl]);
    expect(after.rows[0].version).toBe(before + 1);
  });

  it('keeps a strict total order under 20 concurrent moves and reorders by two editors', async () => {
    const owner = await registerUser(t);
    const e1 = await registerUser(t);
    const e2 = await registerUser(t);
    const pl = (await create(owner).expect(201)).body.id as string;
    await makeEditor(owner, pl, e1);
    await makeEditor(owner, pl, e2);
    const tracks = await linkTracks(t, owner, TRACKS);
    for (const id of tracks) await add(e1, pl, id).expect(201);
    const start = (await t.http.get(`/api/v1/playlists/${pl}`).expect(200)).body.version as number;
    const pick = (i: number) => tracks[(i * 7) % tracks.length];
    const requests = Array.from({ length: 20 }, (_, i) => {
      const who = i % 2 ? e1 : e2;
      if (i % 5 === 0) {
        const shuffled = [...tracks].sort(() => Math.random() - 0.5);
        return t.http
          .put(`/api/v1/playlists/${pl}/tracks/order`)
          .set(who.auth)
          .set('If-Match', `"${start}"`)
          .send({ track_ids: shuffled });
      }
      const before = pick(i + 3) === pick(i) ? null : pick(i + 3);
      const req = t.http.post(`/api/v1/playlists/${pl}/tracks/move`).set(who.auth);
      // half of the moves carry the ETag they read (at most one of those can win), half do not
      return (i % 3 === 0 ? req.set('If-Match', `"${start}"`) : req).send({
        track_id: pick(i),
        before_track_id: before,
      });
    });
    const results = await Promise.all(requests);
    const accepted = results.filter((r) => r.status === 200);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'stale_version');
    // how many apply depends on the interleaving (a move without If-Match retries a few times,
    // then is stale too), but the first to commit always applies, and of the nine carrying the
    // version they read only one that came first can (as version start + 1)
    expect(accepted.length).toBeGreaterThan(0);
    const conditional = (i: number) => i % 5 === 0 || i % 3 === 0;
    const won = results.filter((r, i) => conditional(i) && r.status === 200);
    expect(won.map((r) => r.body.version)).toEqual(won.length ? [start + 1] : []);
    const versions = accepted.map((r) => r.body.version as number).sort((x, y) => x - y);
    expect(new Set(versions).size).toBe(versions.length);
    const final = await db.query('SELECT version FROM playlists WHERE id = $1', [pl]);
    expect(final.rows[0].version).toBe(start + accepted.length);
    const rows = await db.query(
      'SELECT track_id, position FROM playlist_tracks WHERE playlist_id = $1 ORDER BY position',
      [pl],
    );
    expect(rows.rows.map((r) => r.track_id).sort()).toEqual([...tracks].sort());
    expect(new Set(rows.rows.map((r) => r.position)).size).toBe(tracks.length);
    expect(await order(pl)).toEqual(rows.rows.map((r) => r.track_id));
  });

  it('answers track_not_found, never a 500, when the track is deleted while it is being added', async () => {
    const owner = await registerUser(t);
    const lists = [(await create(owner).expect(201)).body.id as string];
    lists.push((await create(owner).expect(201)).body.id as string);
    for (let round = 0; round < 3; round++) {
      const track = await linkTrack(t, owner);
      const [deleted, ...adds] = await Promise.all([
        t.http.delete(`/api/v1/tracks/${track}`).set(owner.auth),
        ...lists.map((pl) => add(owner, pl, track)),
      ]);
      expect(deleted.status).toBe(204);
      for (const r of adds) if (r.status !== 201) expectError(r, 404, 'track_not_found');
      const left = await db.query('SELECT count(*)::int AS n FROM playlist_tracks WHERE track_id = $1', [
        track,
      ]);
      expect(left.rows[0].n).toBe(0);
    }
  });
});
