import { Client } from 'pg';
import { upload } from '../support/catalog';
import { wav, piece } from '../support/audio';
import { expectError } from '../support/expect-error';
import { linkTrack, linkTracks } from '../support/library';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser } from '../support/users';

const LIMIT = 8;

describe('library', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_LIBRARY_ITEMS: String(LIMIT) });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const save = (auth: Record<string, string>, trackId: string) =>
    t.http.put(`/api/v1/library/tracks/${trackId}`).set(auth);

  it('saves (201), refuses a second save, lists newest first with the summary, removes', async () => {
    const owner = await registerUser(t);
    const fan = await registerUser(t);
    const [a, b] = await linkTracks(t, owner, 2);
    const first = await save(fan.auth, a).expect(201);
    expect(first.body).toMatchObject({
      track_id: a,
      available: true,
      track: { id: a, bpm: 120, source: 'external' },
    });
    await t.advanceClock(1);
    await save(fan.auth, b).expect(201);
    expectError(await save(fan.auth, a), 409, 'track_already_saved');

    const list = await t.http.get('/api/v1/library/tracks').set(fan.auth).expect(200);
    expect(list.body.data.map((e: { track_id: string }) => e.track_id)).toEqual([b, a]);
    const page1 = await t.http.get('/api/v1/library/tracks?limit=1').set(fan.auth).expect(200);
    expect(page1.body.data).toHaveLength(1);
    const page2 = await t.http
      .get(`/api/v1/library/tracks?limit=1&cursor=${page1.body.next_cursor}`)
      .set(fan.auth)
      .expect(200);
    expect(page2.body.data[0].track_id).toBe(a);
    expect(page2.body.next_cursor).toBeNull();

    await t.http.delete(`/api/v1/library/tracks/${a}`).set(fan.auth).expect(204);
    await t.http.delete(`/api/v1/library/tracks/${a}`).set(fan.auth).expect(204);
    const after = await t.http.get('/api/v1/library/tracks').set(fan.auth).expect(200);
    expect(after.body.data.map((e: { track_id: string }) => e.track_id)).toEqual([b]);
  });

  it('saves only tracks the caller may see; an unknown or unprocessed one is track_not_found', async () => {
    const owner = await registerUser(t);
    const fan = await registerUser(t);
    const pending = (await upload(t, owner, wav(piece(4242, 2))).expect(201)).body.id as string;
    expectError(await save(fan.auth, pending), 404, 'track_not_found');
    expectError(await save(fan.auth, 'trk_00000000000000000000000000'), 404, 'track_not_found');
    // its owner sees it (still processing) and may save it
    await save(owner.auth, pending).expect(201);
  });

  it('drops a deleted track and shows one no longer visible as unavailable', async () => {
    const owner = await registerUser(t);
    const collaborator = await registerUser(t);
    const gone = await linkTrack(t, owner);
    await save(collaborator.auth, gone).expect(201);
    // a credited collaborator saves an upload still processing, then loses the credit
    const pending = (await upload(t, owner, wav(piece(777, 2))).expect(201)).body.id as string;
    await t.http
      .put(`/api/v1/tracks/${pending}/collaborators`)
      .set(owner.auth)
      .send({ collaborators: [{ user_id: collaborator.id, role: 'co_producer', split_percent: 100 }] })
      .expect(200);
    await save(collaborator.auth, pending).expect(201);
    await t.http
      .put(`/api/v1/tracks/${pending}/collaborators`)
      .set(owner.auth)
      .send({ collaborators: [{ user_id: owner.id, role: 'owner', split_percent: 100 }] })
      .expect(200);
    await t.http.delete(`/api/v1/tracks/${gone}`).set(owner.auth).expect(204);

    const list = await t.http.get('/api/v1/library/tracks').set(collaborator.auth).expect(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({ track_id: pending, available: false, track: null }),
    ]);
    const rows = await db.query('SELECT track_id FROM library_items WHERE user_id = $1', [collaborator.id]);
    expect(rows.rows.map((r) => r.track_id)).toEqual([pending]);
  });

  it('holds LIMIT_LIBRARY_ITEMS under 30 concurrent saves: exactly 5 saved at limit - 5', async () => {
    const owner = await registerUser(t);
    const fan = await registerUser(t);
    const tracks = await linkTracks(t, owner, LIMIT - 5 + 30);
    for (const id of tracks.slice(0, LIMIT - 5)) await save(fan.auth, id).expect(201);
    const results = await Promise.all(tracks.slice(LIMIT - 5).map((id) => save(fan.auth, id)));
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(5);
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 429, 'library_full');
    const count = await db.query('SELECT count(*)::int AS n FROM library_items WHERE user_id = $1', [fan.id]);
    expect(count.rows[0].n).toBe(LIMIT);
    // already saved is answered before full
    expectError(await save(fan.auth, tracks[0]), 409, 'track_already_saved');
  });

  it('answers track_not_found, never a 500, when the track is deleted while it is being saved', async () => {
    const owner = await registerUser(t);
    const fans = [await registerUser(t), await registerUser(t), await registerUser(t), await registerUser(t)];
    for (let round = 0; round < 3; round++) {
      const track = await linkTrack(t, owner);
      const [deleted, ...saves] = await Promise.all([
        t.http.delete(`/api/v1/tracks/${track}`).set(owner.auth),
        ...fans.map((f) => save(f.auth, track)),
      ]);
      expect(deleted.status).toBe(204);
      for (const r of saves) if (r.status !== 201) expectError(r, 404, 'track_not_found');
      const left = await db.query('SELECT count(*)::int AS n FROM library_items WHERE track_id = $1', [
        track,
      ]);
      expect(left.rows[0].n).toBe(0);
    }
  });
});
