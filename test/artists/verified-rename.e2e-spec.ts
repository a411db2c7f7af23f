import { createArtist } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser, TestUser } from '../support/users';

/**
 * `verified` vouches for a name and a slug an admin checked: an artist that takes another name or
 * slug is unverified until an admin approves a new verify-artist request. The update clears it in
 * the same statement, so no read ever shows the new name verified.
 */
describe('a verified artist that renames itself', () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await loginAdmin(t);
  });
  afterAll(() => t?.close());

  let counter = 0;
  const slug = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

  const artist = async (idOrSlug: string) =>
    (await t.http.get(`/api/v1/artists/${idOrSlug}`).expect(200)).body as {
      id: string;
      name: string;
      slug: string;
      verified: boolean;
      version: number;
    };
  const patch = (user: TestUser, id: string, body: Record<string, unknown>) =>
    t.http.patch(`/api/v1/artists/${id}`).set(user.auth).send(body);
  /** A verify-artist request of `user` for `artistId`, approved by the admin. */
  const verify = async (user: TestUser, artistId: string) => {
    const req = await t.http
      .post('/api/v1/backstage/requests')
      .set(user.auth)
      .send({ type: 'verify-artist', first_name: 'Ada', last_name: 'Lovelace', artist_id: artistId })
      .expect(201);
    await t.http
      .post(`/api/v1/admin/backstage/requests/${(req.body as { id: string }).id}/approve`)
      .set(admin.auth)
      .send({})
      .expect(200);
  };

  it('keeps `verified` through edits that keep the name and slug', async () => {
    const u = await registerUser(t);
    const own = await createArtist(t, u, slug('keep'));
    await verify(u, own.id);
    const before = await artist(own.id);
    expect(before.verified).toBe(true);

    const bio = await patch(u, own.id, { bio: 'new bio' }).expect(200);
    expect(bio.body).toMatchObject({ verified: true, bio: 'new bio', version: before.version + 1 });
    // the same name and slug sent again are not a rename
    const same = await patch(u, own.id, { name: before.name, slug: before.slug }).expect(200);
    expect(same.body).toMatchObject({ verified: true, name: before.name, slug: before.slug });
    expect((await artist(own.id)).verified).toBe(true);
  });

  it('loses it with a new name, until an admin re-verifies', async () => {
    const u = await registerUser(t);
    const own = await createArtist(t, u, slug('name'));
    await verify(u, own.id);
    expect((await artist(own.id)).verified).toBe(true);

    const renamed = await patch(u, own.id, { name: 'Someone Famous' }).expect(200);
    expect(renamed.body).toMatchObject({ name: 'Someone Famous', verified: false });
    expect((await artist(own.id)).verified).toBe(false);
    // unverified until a new request is approved
    await verify(u, own.id);
    expect(await artist(own.id)).toMatchObject({ name: 'Someone Famous', verified: true });
  });

  it('loses it with a new slug, in the same update (If-Match, stale version and slug_taken change nothing)', async () => {
    const u = await registerUser(t);
    const own = await createArtist(t, u, slug('slug'));
    const taken = await createArtist(t, await registerUser(t), slug('taken'));
    await verify(u, own.id);
    const before = await artist(own.id);
    expect(before.verified).toBe(true);

    // refused updates leave it verified
    expectError(await patch(u, own.id, { slug: taken.slug }), 409, 'slug_taken');
    expectError(
      await patch(u, own.id, { slug: slug('stale') }).set('If-Match', `"${before.version - 1}"`),
      409,
      'stale_version',
    );
    expect((await artist(own.id)).verified).toBe(true);

    const newSlug = slug('moved');
    const moved = await patch(u, own.id, { slug: newSlug })
      .set('If-Match', `"${before.version}"`)
      .expect(200);
    expect(moved.body).toMatchObject({ slug: newSlug, verified: false, version: before.version + 1 });
    expect((await artist(newSlug)).verified).toBe(false);
  });
});
