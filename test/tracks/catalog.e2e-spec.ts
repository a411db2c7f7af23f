import { Client } from 'pg';
import { aiff, flac, piece, wav } from '../support/audio';
import { createArtist, readyTrack, upload } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser, TestUser } from '../support/users';

describe('artists, catalogue, credits and Audio Recon', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const verify = (artistId: string) =>
    db.query('UPDATE artists SET verified = true WHERE id = $1', [artistId]);

  describe('artists', () => {
    it('creates one artist per user, readable by id or slug', async () => {
      const u = await registerUser(t);
      const a = await t.http
        .post('/api/v1/artists')
        .set(u.auth)
        .send({ name: 'Metro', slug: 'Metro-Beats' })
        .expect(201);
      expect(a.body).toMatchObject({ name: 'Metro', slug: 'metro-beats', verified: false, user_id: u.id });
      await t.http.get('/api/v1/artists/metro-beats').expect(200);
      const byId = await t.http.get(`/api/v1/artists/${a.body.id}`).expect(200);
      expect(byId.headers.etag).toBe(`"${byId.body.version}"`);
      expectError(
        await t.http.post('/api/v1/artists').set(u.auth).send({ name: 'Again', slug: 'again' }),
        409,
        'artist_already_exists',
      );
      expectError(await t.http.get('/api/v1/artists/nobody-here'), 404, 'artist_not_found');
    });

    it('gives a slug to exactly one of many concurrent claimants', async () => {
      const users = await Promise.all([1, 2, 3, 4, 5, 6].map(() => registerUser(t)));
      const results = await Promise.all(
        users.map((u, i) =>
          t.http
            .post('/api/v1/artists')
            .set(u.auth)
            .send({ name: `A${i}`, slug: 'contested' }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((r) => r.status !== 201)) expectError(r, 409, 'slug_taken');
    });

    it('lets only the owner edit, with If-Match', async () => {
      const u = await registerUser(t);
      const other = await registerUser(t);
      const a = await createArtist(t, u, `edit-${Date.now()}`);
      const read = await t.http.get(`/api/v1/artists/${a.id}`).expect(200);
      expectError(
        await t.http.patch(`/api/v1/artists/${a.id}`).set(other.auth).send({ name: 'Hijack' }),
        403,
        'forbidden',
      );
      await t.http
        .patch(`/api/v1/artists/${a.id}`)
        .set(u.auth)
        .set('If-Match', read.headers.etag)
        .send({ name: 'New name' })
        .expect(200);
      expectError(
        await t.http
          .patch(`/api/v1/artists/${a.id}`)
          .set(u.auth)
          .set('If-Match', read.headers.etag)
          .send({ name: 'Stale' }),
        409,
        'stale_version',
      );
      expectError(
        await t.http.patch(`/api/v1/artists/${a.id}`).set(u.auth).send({ slug: 'metro-beats' }),
        409,
        'slug_taken',
      );
      expectError(
        await t.http.patch('/api/v1/artists/art_01m7zzzzzzzzzzzzzzzzzzzzzz').set(u.auth).send({ name: 'x' }),
        404,
        'artist_not_found',
      );
    });
  });

  describe('catalogue', () => {
    let producer: TestUser;
    let artistSlug: string;

    beforeAll(async () => {
      producer = await registerUser(t);
      artistSlug = (await createArtist(t, producer, `lister-${Date.now()}`)).slug;
      for (const [i, genre, title, tags] of [
        [1, 'trap', 'Midnight Trap', 'dark,808'],
        [2, 'lofi', 'Rainy Study', 'chill,piano'],
        [3, 'trap', 'Sunrise Bounce', 'bright'],
      ] as const) {
        await upload(t, producer, wav(piece(100 + i, 2)), { title, bpm: 90, genre, tags }).expect(201);
      }
      await upload(t, producer, wav(piece(200, 2)), {
        title: 'Still Processing',
        bpm: 90,
        genre: 'trap',
      }).expect(201);
      await t.drain();
      await upload(t, producer, wav(piece(201, 2)), {
        title: 'Pending Unseen',
        bpm: 90,
        genre: 'trap',
      }).expect(201);
    });

    it('lists ready tracks newest first with cursor pagination, hiding unfinished uploads', async () => {
      const page1 = await t.http.get(`/api/v1/tracks?artist=${artistSlug}&limit=2`).expect(200);
      expect(page1.body.data.map((x: { title: string }) => x.title)).toEqual([
        'Still Processing',
        'Sunrise Bounce',
      ]);
      const page2 = await t.http
        .get(`/api/v1/tracks?artist=${artistSlug}&limit=2&cursor=${page1.body.next_cursor}`)
        .expect(200);
      expect(page2.body.data.map((x: { title: string }) => x.title)).toEqual([
        'Rainy Study',
        'Midnight Trap',
      ]);
      expect(page2.body.next_cursor).toBeNull();
    });

    it('filters by genre and searches words in title and tags', async () => {
      const trap = await t.http.get(`/api/v1/tracks?artist=${artistSlug}&genre=TRAP`).expect(200);
      expect(trap.body.data.map((x: { title: string }) => x.title).sort()).toEqual([
        'Midnight Trap',
        'Still Processing',
        'Sunrise Bounce',
      ]);
      const search = await t.http.get(`/api/v1/tracks?artist=${artistSlug}&q=piano`).expect(200);
      expect(search.body.data.map((x: { title: string }) => x.title)).toEqual(['Rainy Study']);
      expectError(await t.http.get('/api/v1/tracks?artist=no-such-artist'), 404, 'artist_not_found');
      expectError(await t.http.get('/api/v1/tracks?limit=500'), 422, 'validation_failed');
    });

    it('lets the owner edit metadata with If-Match; others may not', async () => {
      const track = await readyTrack(t, producer);
      const stranger = await registerUser(t);
      expectError(
        await t.http.patch(`/api/v1/tracks/${track.id}`).set(stranger.auth).send({ title: 'Mine now' }),
        403,
        'forbidden',
      );
      const etag = `"${track.version}"`;
      const ok = await t.http
        .patch(`/api/v1/tracks/${track.id}`)
        .set(producer.auth)
        .set('If-Match', etag)
        .send({ title: 'Renamed', bpm: 101 })
        .expect(200);
      expect(ok.body).toMatchObject({ title: 'Renamed', bpm: 101 });
      expectError(
        await t.http
          .patch(`/api/v1/tracks/${track.id}`)
          .set(producer.auth)
          .set('If-Match', etag)
          .send({ title: 'Lost update' }),
        409,
        'stale_version',
      );
      expectError(await t.http.delete(`/api/v1/tracks/${track.id}`).set(stranger.auth), 403, 'forbidden');
      await t.http.delete(`/api/v1/tracks/${track.id}`).set(producer.auth).expect(204);
      expectError(await t.http.get(`/api/v1/tracks/${track.id}`), 404, 'track_not_found');
      expectError(await t.http.get('/api/v1/tracks/trk_01m7zzzzzzzzzzzzzzzzzzzzzz'), 404, 'track_not_found');
    });
  });

  describe('credits', () => {
    it('replaces credits whose splits sum to 100, always crediting the owner', async () => {
      const owner = await registerUser(t);
      const co = await registerUser(t);
      const track = await readyTrack(t, owner);
      const res = await t.http
        .put(`/api/v1/tracks/${track.id}/collaborators`)
        .set(owner.auth)
        .send({ collaborators: [{ user_id: co.id, role: 'co_producer', split_percent: 100 }] })
        .expect(200);
      expect(res.body.data).toEqual([
        { user_id: owner.id, role: 'owner', split_percent: 0 },
        { user_id: co.id, role: 'co_producer', split_percent: 100 },
      ]);
      const split = await t.http
        .put(`/api/v1/tracks/${track.id}/collaborators`)
        .set(owner.auth)
        .send({
          collaborators: [
            { user_id: owner.id, role: 'producer', split_percent: 33.33 },
            { user_id: co.id, role: 'co_producer', split_percent: 66.66 },
          ],
        })
        .expect(200);
      expect(split.body.data.map((c: { split_percent: number }) => c.split_percent)).toEqual([33.33, 66.66]);
    });

    it('refuses splits that do not add up, unknown users, and non-owners', async () => {
      const owner = await registerUser(t);
      const co = await registerUser(t);
      const track = await readyTrack(t, owner);
      const bad = await t.http
        .put(`/api/v1/tracks/${track.id}/collaborators`)
        .set(owner.auth)
        .send({
          collaborators: [
            { user_id: owner.id, role: 'producer', split_percent: 50 },
            { user_id: co.id, role: 'producer', split_percent: 49.9 },
          ],
        });
      expectError(bad, 422, 'split_percentages_invalid');
      expect(bad.body.total).toBe(99.9);
      expectError(
        await t.http
          .put(`/api/v1/tracks/${track.id}/collaborators`)
          .set(owner.auth)
          .send({
            collaborators: [
              { user_id: 'usr_01m7zzzzzzzzzzzzzzzzzzzzzz', role: 'producer', split_percent: 100 },
            ],
          }),
        404,
        'user_not_found',
      );
      expectError(
        await t.http
          .put(`/api/v1/tracks/${track.id}/collaborators`)
          .set(co.auth)
          .send({ collaborators: [{ user_id: co.id, role: 'producer', split_percent: 100 }] }),
        403,
        'forbidden',
      );
      const duplicate = await t.http
        .put(`/api/v1/tracks/${track.id}/collaborators`)
        .set(owner.auth)
        .send({
          collaborators: [
            { user_id: co.id, role: 'producer', split_percent: 50 },
            { user_id: co.id, role: 'engineer', split_percent: 50 },
          ],
        });
      expectError(duplicate, 422, 'validation_failed');
    });
  });

  describe('Audio Recon and fingerprint matching', () => {
    let owner: TestUser;
    let original: { id: string };
    let flacCopy: { id: string };
    let quietCopy: { id: string };
    let different: { id: string };

    beforeAll(async () => {
      owner = await registerUser(t);
      const artist = await createArtist(t, owner, `recon-${Date.now()}`);
      const audio = piece(777, 10);
      original = await readyTrack(t, owner, wav(audio));
      flacCopy = await readyTrack(t, await registerUser(t), flac(audio));
      quietCopy = await readyTrack(t, await registerUser(t), aiff(piece(777, 10, { gain: 0.6 })));
      different = await readyTrack(t, await registerUser(t), wav(piece(778, 10)));
      await verify(artist.id);
    });

    it('finds the same audio re-encoded (FLAC) and quieter (AIFF) at ≥ 95 %, not a different piece at ≥ 80 %', async () => {
      const res = await t.http.get(`/api/v1/tracks/${original.id}/recon`).set(owner.auth).expect(200);
      expect(res.body.artist_verified).toBe(true);
      const byId = new Map(
        res.body.matches.map((m: { track_id: string; similarity: number }) => [m.track_id, m.similarity]),
      );
      expect(byId.get(flacCopy.id)).toBeGreaterThanOrEqual(0.95);
      expect(byId.get(quietCopy.id)).toBeGreaterThanOrEqual(0.95);
      expect(byId.has(different.id)).toBe(false);
      expect(byId.has(original.id)).toBe(false);
      for (const m of res.body.matches) expect(m.similarity).toBeGreaterThanOrEqual(0.8);
    });

    it('is for credited producers and admins only, in that order after track_not_found', async () => {
      const stranger = await registerUser(t);
      expectError(
        await t.http.get(`/api/v1/tracks/${original.id}/recon`).set(stranger.auth),
        403,
        'not_credited_producer',
      );
      expectError(
        await t.http.get('/api/v1/tracks/trk_01m7zzzzzzzzzzzzzzzzzzzzzz/recon').set(stranger.auth),
        404,
        'track_not_found',
      );
      expectError(await t.http.get(`/api/v1/tracks/${original.id}/recon`), 401, 'unauthenticated');
      const admin = await loginAdmin(t);
      expect(
        (await t.http.get(`/api/v1/tracks/${original.id}/recon`).set(admin.auth).expect(200)).body.matches
          .length,
      ).toBeGreaterThan(0);

      // a credited co-producer may look too
      const co = await registerUser(t);
      await t.http
        .put(`/api/v1/tracks/${original.id}/collaborators`)
        .set(owner.auth)
        .send({
          collaborators: [
            { user_id: owner.id, role: 'producer', split_percent: 50 },
            { user_id: co.id, role: 'co_producer', split_percent: 50 },
          ],
        })
        .expect(200);
      await t.http.get(`/api/v1/tracks/${original.id}/recon`).set(co.auth).expect(200);
    });

    it('answers no matches while the primary artist is not verified', async () => {
      const copier = await registerUser(t);
      const unverified = await createArtist(t, copier, `unverified-${Date.now()}`);
      expect(unverified.id).toBeDefined();
      const copy = await readyTrack(t, copier, flac(piece(777, 10)));
      const res = await t.http.get(`/api/v1/tracks/${copy.id}/recon`).set(copier.auth).expect(200);
      expect(res.body).toEqual({ artist_verified: false, matches: [] });
    });
  });
});
