import { piece, wav } from '../support/audio';
import { createArtist, readyTrack, upload } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser, TestUser } from '../support/users';

/**
 * The access model of tracks and artists (README "Access model"): owner, credited collaborator,
 * admin and stranger, each route and each list.
 */
describe('who may do what with tracks and artists', () => {
  let t: TestApp;
  let owner: TestUser;
  let co: TestUser;
  let stranger: TestUser;
  let admin: TestUser;
  let ready: string;
  let pending: string;
  let seed = 4242;

  const credit = (trackId: string) =>
    t.http
      .put(`/api/v1/tracks/${trackId}/collaborators`)
      .set(owner.auth)
      .send({
        collaborators: [
          { user_id: owner.id, role: 'producer', split_percent: 60 },
          { user_id: co.id, role: 'co_producer', split_percent: 40 },
        ],
      })
      .expect(200);

  beforeAll(async () => {
    t = await startTestApp();
    [owner, co, stranger] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
    admin = await loginAdmin(t);
    ready = (await readyTrack(t, owner, wav(piece(++seed, 3)))).id;
    await credit(ready);
    // still processing (jobs run only when drained): visible to its credits and admins only
    pending = (await upload(t, owner, wav(piece(++seed, 3))).expect(201)).body.id as string;
    await credit(pending);
  });
  afterAll(() => t?.close());

  it('shows a processing track to its owner, collaborators and admins; to others it does not exist', async () => {
    for (const who of [owner, co, admin]) {
      await t.http.get(`/api/v1/tracks/${pending}`).set(who.auth).expect(200);
    }
    expectError(await t.http.get(`/api/v1/tracks/${pending}`).set(stranger.auth), 404, 'track_not_found');
    expectError(await t.http.get(`/api/v1/tracks/${pending}`), 404, 'track_not_found');
    // every action on it answers the same to a stranger
    expectError(
      await t.http.patch(`/api/v1/tracks/${pending}`).set(stranger.auth).send({ title: 'x' }),
      404,
      'track_not_found',
    );
    expectError(await t.http.delete(`/api/v1/tracks/${pending}`).set(stranger.auth), 404, 'track_not_found');
  });

  it('lists the public catalogue only, whoever asks', async () => {
    for (const who of [owner, admin, stranger]) {
      const ids = (await t.http.get('/api/v1/tracks?limit=100').set(who.auth).expect(200)).body.data.map(
        (x: { id: string }) => x.id,
      );
      expect(ids).toContain(ready);
      expect(ids).not.toContain(pending);
    }
  });

  it('lets only the owner edit metadata and credits; admins moderate, they do not edit', async () => {
    const patch = (who: TestUser) =>
      t.http.patch(`/api/v1/tracks/${ready}`).set(who.auth).send({ title: 'Renamed' });
    for (const who of [co, admin, stranger]) expectError(await patch(who), 403, 'forbidden');
    await patch(owner).expect(200);
    for (const who of [co, admin, stranger]) {
      expectError(
        await t.http
          .put(`/api/v1/tracks/${ready}/collaborators`)
          .set(who.auth)
          .send({ collaborators: [{ user_id: who.id, role: 'producer', split_percent: 100 }] }),
        403,
        'forbidden',
      );
    }
  });

  it('gives Audio Recon to credited producers and admins', async () => {
    for (const who of [owner, co, admin])
      await t.http.get(`/api/v1/tracks/${ready}/recon`).set(who.auth).expect(200);
    expectError(
      await t.http.get(`/api/v1/tracks/${ready}/recon`).set(stranger.auth),
      403,
      'not_credited_producer',
    );
  });

  it('lets the owner or an admin delete a track, never a collaborator or a stranger', async () => {
    for (const who of [co, stranger]) {
      expectError(await t.http.delete(`/api/v1/tracks/${ready}`).set(who.auth), 403, 'forbidden');
    }
    await t.http.delete(`/api/v1/tracks/${pending}`).set(admin.auth).expect(204);
    await t.http.delete(`/api/v1/tracks/${ready}`).set(owner.auth).expect(204);
    expectError(await t.http.get(`/api/v1/tracks/${ready}`).set(admin.auth), 404, 'track_not_found');
  });

  it('lets only its own user edit an artist profile, not an admin', async () => {
    const artist = await createArtist(t, co, `co-${Date.now()}`);
    const patch = (who: TestUser) =>
      t.http.patch(`/api/v1/artists/${artist.id}`).set(who.auth).send({ name: 'Someone else' });
    for (const who of [owner, admin, stranger]) expectError(await patch(who), 403, 'forbidden');
    expect((await patch(co).expect(200)).body.name).toBe('Someone else');
    expectError(
      await t.http
        .patch('/api/v1/artists/art_01m7zzzzzzzzzzzzzzzzzzzzzz')
        .set(admin.auth)
        .send({ name: 'x' }),
      404,
      'artist_not_found',
    );
  });
});
