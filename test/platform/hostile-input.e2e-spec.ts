import { readyTrack, createArtist, upload } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

/** Hostile input is a clear 4xx in the envelope, refused in one place before any route code. */
describe('hostile input', () => {
  let t: TestApp;
  let user: TestUser;
  let track: { id: string; version: number };
  let artist: { id: string };
  let playlist: { id: string };

  const json = (
    method: 'post' | 'patch' | 'put',
    path: string,
    body: string,
    auth: Record<string, string> = user.auth,
  ) => t.http[method](path).set(auth).set('Content-Type', 'application/json').send(body);

  beforeAll(async () => {
    t = await startTestApp();
    user = await registerUser(t);
    track = await readyTrack(t, user);
    artist = await createArtist(t, user, `hostile-${Date.now().toString(36)}`);
    playlist = (
      await t.http
        .post('/api/v1/playlists')
        .set(user.auth)
        .send({ name: 'P', visibility: 'private' })
        .expect(201)
    ).body as { id: string };
  });
  afterAll(() => t?.close());

  describe('NUL bytes and lone surrogates', () => {
    it('are bad_request in query strings, path ids and cursors, anonymous or not', async () => {
      for (const path of [
        '/api/v1/tracks?q=%00',
        '/api/v1/tracks?genre=a%00b',
        '/api/v1/artists/%00',
        `/api/v1/tracks/${track.id}%00`,
        '/api/v1/tracks?cursor=%00',
      ]) {
        expectError(await t.http.get(path), 400, 'bad_request');
      }
      expectError(await t.http.get('/api/v1/tracks?q=%00').set(user.auth), 400, 'bad_request');
    });

    it('are validation_failed in JSON bodies, naming the field', async () => {
      const nul = await json('patch', '/api/v1/me', '{"display_name":"a\\u0000b"}');
      expectError(nul, 422, 'validation_failed');
      expect(Object.keys(nul.body.errors)).toEqual(['display_name']);

      const surrogate = await json(
        'post',
        '/api/v1/auth/register',
        '{"email":"\\ud800x@example.com","password":"password-123","display_name":"x"}',
        {},
      );
      expectError(surrogate, 422, 'validation_failed');
      expect(Object.keys(surrogate.body.errors)).toEqual(['email']);

      const low = await json('patch', `/api/v1/tracks/${track.id}`, '{"tags":["ok","\\udc00"]}');
      expectError(low, 422, 'validation_failed');
      expect(Object.keys(low.body.errors)).toEqual(['tags.1']);

      // a well-formed pair (an emoji) is fine
      const emoji = await json('patch', '/api/v1/me', '{"display_name":"DJ \\ud83c\\udfb5"}');
      expect(emoji.status).toBe(200);
      expect(emoji.body.display_name).toBe('DJ \u{1F3B5}');
    });

    it('are validation_failed in multipart fields', async () => {
      const res = await upload(t, user, Buffer.from('RIFF'), { title: 'a\u0000b', bpm: 90, genre: 'x' });
      expectError(res, 422, 'validation_failed');
      expect(res.body.errors.title).toBeDefined();
    });
  });

  it('answers bad_request for a multipart body that is not multipart', async () => {
    const res = await t.http
      .post('/api/v1/tracks')
      .set(user.auth)
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('this is not multipart at all');
    expectError(res, 400, 'bad_request');
  });

  it('bounds JSON depth at the parser on every route, login included', async () => {
    const deep = `${'['.repeat(1500)}${']'.repeat(1500)}`;
    for (const [method, path] of [
      ['post', '/api/v1/auth/login'],
      ['patch', '/api/v1/me'],
      ['put', `/api/v1/tracks/${track.id}/license-offers`],
    ] as const) {
      const res = await json(method, path, `{"a":${deep}}`);
      expectError(res, 400, 'invalid_json');
    }
  });

  it('refuses null for fields a PATCH cannot clear', async () => {
    for (const [path, field] of [
      ['/api/v1/me', 'display_name'],
      [`/api/v1/artists/${artist.id}`, 'name'],
      [`/api/v1/artists/${artist.id}`, 'slug'],
      [`/api/v1/tracks/${track.id}`, 'title'],
      [`/api/v1/tracks/${track.id}`, 'bpm'],
      [`/api/v1/tracks/${track.id}`, 'genre'],
      [`/api/v1/tracks/${track.id}`, 'tags'],
      [`/api/v1/playlists/${playlist.id}`, 'name'],
      [`/api/v1/playlists/${playlist.id}`, 'visibility'],
    ]) {
      const res = await t.http
        .patch(path)
        .set(user.auth)
        .send({ [field]: null });
      expectError(res, 422, 'validation_failed');
      expect(Object.keys(res.body.errors)).toEqual([field]);
    }
  });

  it('refuses nested arrays where objects are expected', async () => {
    const collaborators = await json(
      'put',
      `/api/v1/tracks/${track.id}/collaborators`,
      '{"collaborators":[[]]}',
    );
    expectError(collaborators, 422, 'validation_failed');
    const offers = await json('put', `/api/v1/tracks/${track.id}/license-offers`, '{"offers":[[]]}');
    expectError(offers, 422, 'validation_failed');
  });

  it('answers a 100,000-item array with a small body', async () => {
    const body = JSON.stringify({ offers: Array.from({ length: 100_000 }, () => ({})) });
    const res = await json('put', `/api/v1/tracks/${track.id}/license-offers`, body);
    expectError(res, 422, 'validation_failed');
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    // within the generic bound, still one bounded answer
    const many = await json(
      'put',
      `/api/v1/tracks/${track.id}/license-offers`,
      JSON.stringify({ offers: Array.from({ length: 1_000 }, () => ({})) }),
    );
    expectError(many, 422, 'validation_failed');
    expect(Object.keys(many.body.errors).length).toBeLessThanOrEqual(50);
  });

  it('treats a cursor as opaque and signed: forged or out-of-range cursors are bad_request', async () => {
    const forged = Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', 'trk_x'])).toString(
      'base64url',
    );
    for (const cursor of [forged, `${forged}.AAAAAAAAAAAAAAAAAAAAAA`, 'garbage', '']) {
      expectError(await t.http.get(`/api/v1/tracks?cursor=${cursor}`), 400, 'bad_request');
    }
  });

  it('answers stale_version for an If-Match past any version', async () => {
    const res = await t.http
      .patch('/api/v1/me')
      .set(user.auth)
      .set('If-Match', '"99999999999999999999"')
      .send({
        display_name: 'x',
      });
    expectError(res, 409, 'stale_version');
    const tr = await t.http
      .patch(`/api/v1/tracks/${track.id}`)
      .set(user.auth)
      .set('If-Match', '"99999999999999999999"')
      .send({ title: 'x' });
    expectError(tr, 409, 'stale_version');
  });
});

describe('numbers in exponent form', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('a split printed in exponent form is checked for its decimals, never a crash of the rule', async () => {
    const user = await registerUser(t);
    const put = (split: number) =>
      t.http
        .put('/api/v1/tracks/trk_01m8ppg2afwysdsg1qvww0tn8w/collaborators')
        .set(user.auth)
        .send({ collaborators: [{ user_id: user.id, role: 'owner', split_percent: split }] });
    const res = await put(1.234e-5);
    expectError(res, 422, 'validation_failed');
    expect(Object.keys(res.body.errors)).toEqual(['collaborators.0.split_percent']);
    // 2e-323 is 0.00 to two decimals: valid, so the next rule answers (this track does not exist)
    expectError(await put(2e-323), 404, 'track_not_found');
  });
});
