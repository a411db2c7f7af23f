import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Response } from 'superagent';
import { piece, toneWav, wav } from '../support/audio';
import { readyTrack } from '../support/catalog';
import { buy, startCommerceApp, type CommerceApp } from '../support/commerce';
import { expectError } from '../support/expect-error';
import type { TestApp } from '../support/test-app';
import { login, loginAdmin, registerUser, type TestUser } from '../support/users';

const API = '/api/v1';

/**
 * Packs (issue 24): CRUD and ordered tracks, links and their public side (codes, expiry, downloads
 * with a cap, exclusives leaving), analytics (owner's visits excluded, unavailable store).
 */
describe('packs', () => {
  let c: CommerceApp;
  let t: TestApp;
  let owner: TestUser;
  let other: TestUser;
  let tracks: { id: string }[];

  const createPack = (user: TestUser, body: object) => t.http.post(`${API}/packs`).set(user.auth).send(body);
  const createLink = async (packId: string, body: object) =>
    (await t.http.post(`${API}/packs/${packId}/links`).set(owner.auth).send(body).expect(201)).body as {
      id: string;
      slug: string;
      url: string;
      has_access_code: boolean;
    };
  const open = (slug: string, code?: string) => {
    const req = t.http.get(`${API}/pack-links/${slug}`);
    return code === undefined ? req : req.set('X-Access-Code', code);
  };
  const download = (slug: string, trackId: string) =>
    t.http.get(`${API}/pack-links/${slug}/tracks/${trackId}/download`).buffer(true).parse(binary);

  beforeAll(async () => {
    c = await startCommerceApp({ JOBS_AUTORUN: '0' });
    t = c.t;
    owner = await registerUser(t, { name: 'Producer' });
    other = await registerUser(t, { name: 'Other' });
    tracks = [];
    for (let i = 0; i < 3; i++) tracks.push(await readyTrack(t, owner, wav(piece(100 + i, 3))));
  });

  afterAll(async () => {
    await c?.close();
  });

  it('GET /errors and the OpenAPI document list the packs codes and every new route with its access', async () => {
    const errors = (await t.http.get(`${API}/errors`).expect(200)).body.data as {
      module: string;
      code: string;
    }[];
    expect(errors.filter((e) => e.module === 'packs').map((e) => e.code)).toEqual([
      'pack_not_found',
      'pack_name_conflict',
      'pack_link_not_found',
      'pack_link_expired',
      'access_code_required',
      'access_code_invalid',
      'downloads_disabled',
      'split_sheet_structural_validation_failed',
    ]);
    const admin = await loginAdmin(t);
    const doc = (await t.http.get(`${API}/admin/docs/openapi.json`).set(admin.auth).expect(200)).body as {
      paths: Record<string, Record<string, { 'x-access'?: string; description?: string }>>;
    };
    const routes: [string, string][] = [
      ['/api/v1/packs', 'post'],
      ['/api/v1/packs', 'get'],
      ['/api/v1/packs/{id}', 'get'],
      ['/api/v1/packs/{id}', 'patch'],
      ['/api/v1/packs/{id}', 'delete'],
      ['/api/v1/packs/{id}/tracks', 'put'],
      ['/api/v1/packs/{id}/tracks/order', 'post'],
      ['/api/v1/packs/{id}/links', 'post'],
      ['/api/v1/packs/{id}/links', 'get'],
      ['/api/v1/packs/{id}/links/{link_id}', 'delete'],
      ['/api/v1/packs/{id}/links/{link_id}/analytics', 'get'],
      ['/api/v1/pack-links/{slug}', 'get'],
      ['/api/v1/pack-links/{slug}/tracks/{track_id}/download', 'get'],
      ['/api/v1/pack-links/{slug}/tracks/{track_id}/plays', 'post'],
      ['/api/v1/pack-links/{slug}/page', 'get'],
      ['/api/v1/pack-page.js', 'get'],
      ['/api/v1/tracks/{id}/split-sheet', 'get'],
      ['/api/v1/tracks/{id}/split-sheet', 'put'],
    ];
    for (const [path, method] of routes) {
      expect({ path, method, access: typeof doc.paths[path]?.[method]?.['x-access'] }).toEqual({
        path,
        method,
        access: 'string',
      });
    }
  });

  it('the public OpenAPI document with the packs routes passes redocly lint (recommended) with no errors', async () => {
    const doc = (await t.http.get(`${API}/docs/openapi.json`).expect(200)).body as { paths: object };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/pack-links/{slug}']));
    const dir = mkdtempSync(join(tmpdir(), 'openapi-packs-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const out = await promisify(execFile)(
        process.execPath,
        [
          join(__dirname, '../../node_modules/@redocly/cli/bin/cli.js'),
          'lint',
          file,
          '--extends=recommended',
          '--format=json',
        ],
        {
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      const problems = (
        JSON.parse(out.stdout) as {
          problems: { severity: string; ruleId: string; message: string; location: { pointer: string }[] }[];
        }
      ).problems;
      expect(
        problems
          .filter((p) => p.severity === 'error')
          .map((e) => `${e.ruleId} ${e.location[0]?.pointer}: ${e.message}`),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('packs and their tracks', () => {
    it('creates, lists, reads, renames and deletes; names are unique per producer (pack_name_conflict)', async () => {
      const a = (await createPack(owner, { name: 'Summer', description: 'warm' }).expect(201)).body;
      expect(a).toMatchObject({ name: 'Summer', description: 'warm', track_ids: [], track_count: 0 });
      expectError(await createPack(owner, { name: 'Summer' }), 409, 'pack_name_conflict');
      // another producer may use the same name
      await createPack(other, { name: 'Summer' }).expect(201);
      const b = (await createPack(owner, { name: 'Winter' }).expect(201)).body;
      expectError(
        await t.http.patch(`${API}/packs/${b.id}`).set(owner.auth).send({ name: 'Summer' }),
        409,
        'pack_name_conflict',
      );
      const renamed = await t.http
        .patch(`${API}/packs/${b.id}`)
        .set(owner.auth)
        .send({ name: 'Autumn' })
        .expect(200);
      expect(renamed.body.name).toBe('Autumn');
      const list = await t.http.get(`${API}/packs?limit=1`).set(owner.auth).expect(200);
      expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([b.id]);
      const next = await t.http
        .get(`${API}/packs?limit=1&cursor=${encodeURIComponent(list.body.next_cursor)}`)
        .set(owner.auth)
        .expect(200);
      expect(next.body.data.map((p: { id: string }) => p.id)).toEqual([a.id]);
      // someone else's pack does not exist for them
      expectError(await t.http.get(`${API}/packs/${a.id}`).set(other.auth), 404, 'pack_not_found');
      expectError(await t.http.delete(`${API}/packs/${a.id}`).set(other.auth), 404, 'pack_not_found');
      await t.http.delete(`${API}/packs/${b.id}`).set(owner.auth).expect(204);
      expectError(await t.http.get(`${API}/packs/${b.id}`).set(owner.auth), 404, 'pack_not_found');
    });

    it('sets the exact ordered set of owned or credited tracks, reorders only with the same set', async () => {
      const pack = (await createPack(owner, { name: 'Ordered' }).expect(201)).body;
      const ids = tracks.map((x) => x.id);
      const set = await t.http
        .put(`${API}/packs/${pack.id}/tracks`)
        .set(owner.auth)
        .send({ track_ids: ids })
        .expect(200);
      expect(set.body.track_ids).toEqual(ids);
      const foreign = await readyTrack(t, other, wav(piece(999, 2)));
      const refused = await t.http
        .put(`${API}/packs/${pack.id}/tracks`)
        .set(owner.auth)
        .send({ track_ids: [ids[0], foreign.id] });
      expectError(refused, 404, 'track_not_found');
      expectError(
        await t.http
          .put(`${API}/packs/${pack.id}/tracks`)
          .set(owner.auth)
          .send({ track_ids: [ids[0], ids[0]] }),
        422,
        'validation_failed',
      );
      const reversed = [...ids].reverse();
      const moved = await t.http
        .post(`${API}/packs/${pack.id}/tracks/order`)
        .set(owner.auth)
        .send({ track_ids: reversed })
        .expect(200);
      expect(moved.body.track_ids).toEqual(reversed);
      expectError(
        await t.http
          .post(`${API}/packs/${pack.id}/tracks/order`)
          .set(owner.auth)
          .send({ track_ids: ids.slice(1) }),
        409,
        'track_set_mismatch',
      );
      const rows = await c.db.query(
        `SELECT track_id, position FROM pack_tracks WHERE pack_id = $1 ORDER BY position`,
        [pack.id],
      );
      expect(rows.rows).toEqual(reversed.map((track_id, position) => ({ track_id, position })));
    });

    it('at most LIMIT_PACK_TRACKS tracks (50) and LIMIT_PACKS_PER_USER packs (100, held under concurrency)', async () => {
      const pack = (await createPack(owner, { name: 'Too many' }).expect(201)).body;
      const many = Array.from({ length: 51 }, (_, i) => `trk_${String(i).padStart(26, '0')}`);
      expectError(
        await t.http.put(`${API}/packs/${pack.id}/tracks`).set(owner.auth).send({ track_ids: many }),
        422,
        'validation_failed',
      );
      const busy = await registerUser(t);
      await c.db.query(
        `INSERT INTO packs (id, owner_id, name, created_at, updated_at)
         SELECT 'pck_fill' || g, $1, 'fill ' || g, now(), now() FROM generate_series(1, 95) g`,
        [busy.id],
      );
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => createPack(busy, { name: `race ${i}` })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      for (const r of results.filter((x) => x.status !== 201)) expectError(r, 422, 'validation_failed');
      const { rows } = await c.db.query(`SELECT count(*)::int AS n FROM packs WHERE owner_id = $1`, [
        busy.id,
      ]);
      expect(rows[0].n).toBe(100);
    });
  });

  describe('links and the public side', () => {
    let pack: { id: string };

    beforeAll(async () => {
      pack = (await createPack(owner, { name: 'Shared' }).expect(201)).body;
      await t.http
        .put(`${API}/packs/${pack.id}/tracks`)
        .set(owner.auth)
        .send({ track_ids: tracks.map((x) => x.id) })
        .expect(200);
    });

    it('a link has a 144-bit slug, shows only has_access_code, and opens with tracks, stream links and peaks', async () => {
      const link = await createLink(pack.id, {
        label: 'for MC',
        access_code: 'sesame-42',
        downloads: 'none',
      });
      expect(link.slug).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(link.has_access_code).toBe(true);
      expect(JSON.stringify(link)).not.toContain('sesame-42');
      const { rows } = await c.db.query(`SELECT access_code_hash FROM pack_links WHERE id = $1`, [link.id]);
      expect(rows[0].access_code_hash).not.toContain('sesame');
      const listed = await t.http.get(`${API}/packs/${pack.id}/links`).set(owner.auth).expect(200);
      expect(listed.body.data[0]).toMatchObject({ id: link.id, has_access_code: true });
      expect(JSON.stringify(listed.body)).not.toContain('sesame-42');

      expectError(await open(link.slug), 403, 'access_code_required');
      expectError(await open(link.slug, 'wrong'), 403, 'access_code_invalid');
      const res = await open(link.slug, 'sesame-42').expect(200);
      expect(res.body).toMatchObject({
        name: 'Shared',
        label: 'for MC',
        downloads: 'none',
        downloads_left: 0,
      });
      expect(res.body.tracks.map((x: { id: string }) => x.id)).toEqual(tracks.map((x) => x.id));
      const first = res.body.tracks[0];
      expect(first.stream).toMatchObject({
        url: expect.stringContaining('/api/v1/media?token='),
        rendition: 'clean',
      });
      expect(first.peaks).toMatchObject({ version: 2, length: 400 });
      // the stream link plays without any account
      const media = new URL(first.stream.url);
      await t.http
        .get(media.pathname + media.search)
        .set('Range', 'bytes=0-99')
        .expect(206);
      // listen-only link
      expectError(
        await download(link.slug, tracks[0].id).set('X-Access-Code', 'sesame-42'),
        403,
        'downloads_disabled',
      );
    });

    it('unknown, revoked and expired links; a deleted pack takes its links', async () => {
      expectError(await open('AAAAAAAAAAAAAAAAAAAAAAAA'), 404, 'pack_link_not_found');
      expectError(await open('short'), 404, 'pack_link_not_found');
      const link = await createLink(pack.id, { label: 'revoke me', downloads: 'none' });
      await open(link.slug).expect(200);
      await t.http.delete(`${API}/packs/${pack.id}/links/${link.id}`).set(owner.auth).expect(204);
      await t.http.delete(`${API}/packs/${pack.id}/links/${link.id}`).set(owner.auth).expect(204);
      expectError(await open(link.slug), 404, 'pack_link_not_found');
      expectError(
        await t.http.delete(`${API}/packs/${pack.id}/links/pkl_00000000000000000000000000`).set(owner.auth),
        404,
        'pack_link_not_found',
      );

      const now = Date.parse((await t.http.get(`${API}/__test/clock`).expect(200)).body.now);
      const soon = await createLink(pack.id, {
        label: 'an hour',
        downloads: 'none',
        expires_at: new Date(now + 3600_000).toISOString(),
      });
      await open(soon.slug).expect(200);
      await t.advanceClock(3601);
      expectError(await open(soon.slug), 410, 'pack_link_expired');
      // the hour outlived the access tokens
      Object.assign(owner, await login(t, owner.email, owner.password));
      Object.assign(other, await login(t, other.email, other.password));

      const doomed = (await createPack(owner, { name: 'Doomed' }).expect(201)).body;
      const gone = await createLink(doomed.id, { label: 'x', downloads: 'none' });
      await t.http.delete(`${API}/packs/${doomed.id}`).set(owner.auth).expect(204);
      expectError(await open(gone.slug), 404, 'pack_link_not_found');
    });

    it('downloads: original serves the upload, tagged the rendition heard; a track not in the link is track_not_found', async () => {
      const original = await createLink(pack.id, { label: 'orig', downloads: 'original' });
      const file = await download(original.slug, tracks[0].id).expect(200);
      const { rows } = await c.db.query(`SELECT audio_sha256 FROM tracks WHERE id = $1`, [tracks[0].id]);
      expect(
        createHash('sha256')
          .update(file.body as Buffer)
          .digest('hex'),
      ).toBe(rows[0].audio_sha256);
      expect(file.headers['content-disposition']).toMatch(/attachment/);

      const tagged = await createLink(pack.id, { label: 'tagged', downloads: 'tagged' });
      const heard = await download(tagged.slug, tracks[0].id).expect(200);
      expect(heard.headers['content-type']).toBe('audio/mp4');
      const clean = await c.db.query(
        `SELECT sha256 FROM track_renditions WHERE track_id = $1 AND kind = 'clean'`,
        [tracks[0].id],
      );
      // no voice tag: the clean rendition is what visitors hear
      expect(
        createHash('sha256')
          .update(heard.body as Buffer)
          .digest('hex'),
      ).toBe(clean.rows[0].sha256);

      const foreign = await readyTrack(t, other, wav(piece(555, 2)));
      expectError(await download(original.slug, foreign.id), 404, 'track_not_found');
    });

    it('with a voice tag, visitors hear and download the tagged rendition', async () => {
      const tagger = await registerUser(t);
      const track = await readyTrack(t, tagger, wav(piece(321, 3)));
      await t.http
        .put(`${API}/me/voice-tag`)
        .set(tagger.auth)
        .attach('audio', toneWav(1), 'tag.wav')
        .expect(200);
      await t.drain();
      const p = (await createPack(tagger, { name: 'Tagged' }).expect(201)).body;
      await t.http
        .put(`${API}/packs/${p.id}/tracks`)
        .set(tagger.auth)
        .send({ track_ids: [track.id] })
        .expect(200);
      const link = (
        await t.http
          .post(`${API}/packs/${p.id}/links`)
          .set(tagger.auth)
          .send({ label: 'x', downloads: 'tagged' })
          .expect(201)
      ).body;
      const res = await open(link.slug).expect(200);
      expect(res.body.tracks[0].stream.rendition).toBe('tagged');
      const file = await download(link.slug, track.id).expect(200);
      const tagged = await c.db.query(
        `SELECT sha256 FROM track_renditions WHERE track_id = $1 AND kind = 'tagged'`,
        [track.id],
      );
      expect(
        createHash('sha256')
          .update(file.body as Buffer)
          .digest('hex'),
      ).toBe(tagged.rows[0].sha256);
    });

    it('20 parallel downloads through a link with max_downloads 3: exactly 3, the counter says 3', async () => {
      const link = await createLink(pack.id, { label: 'three', downloads: 'original', max_downloads: 3 });
      const results = await Promise.all(Array.from({ length: 20 }, () => download(link.slug, tracks[1].id)));
      expect(results.filter((r) => r.status === 200)).toHaveLength(3);
      const refused = results.filter((r) => r.status !== 200);
      expect(refused).toHaveLength(17);
      for (const r of refused) expectError(r, 403, 'downloads_disabled');
      const { rows } = await c.db.query(`SELECT downloads_used FROM pack_links WHERE id = $1`, [link.id]);
      expect(rows[0].downloads_used).toBe(3);
      expect((await open(link.slug).expect(200)).body.downloads_left).toBe(0);
    });

    it('a track sold exclusively leaves every link at once', async () => {
      const seller = await registerUser(t);
      const track = await readyTrack(t, seller, wav(piece(777, 3)));
      const kept = await readyTrack(t, seller, wav(piece(778, 3)));
      await t.http
        .put(`${API}/tracks/${track.id}/license-offers`)
        .set(seller.auth)
        .send({ offers: [{ type: 'exclusive', price_cents: 99900, currency: 'usd' }] })
        .expect(200);
      const p = (await createPack(seller, { name: 'Exclusive' }).expect(201)).body;
      await t.http
        .put(`${API}/packs/${p.id}/tracks`)
        .set(seller.auth)
        .send({ track_ids: [track.id, kept.id] })
        .expect(200);
      const links = [];
      for (const label of ['a', 'b'])
        links.push(
          (
            await t.http
              .post(`${API}/packs/${p.id}/links`)
              .set(seller.auth)
              .send({ label, downloads: 'original' })
              .expect(201)
          ).body as { slug: string },
        );
      for (const l of links)
        expect((await open(l.slug).expect(200)).body.tracks.map((x: { id: string }) => x.id)).toEqual([
          track.id,
          kept.id,
        ]);
      const buyer = await registerUser(t);
      const { confirmed } = await buy(t, buyer, track.id, 'exclusive', 99900);
      expect(confirmed.status).toBe(200);
      for (const l of links) {
        expect((await open(l.slug).expect(200)).body.tracks.map((x: { id: string }) => x.id)).toEqual([
          kept.id,
        ]);
        expectError(await download(l.slug, track.id), 404, 'track_not_found');
      }
    });
  });

  describe('analytics', () => {
    it('views, qualified plays, downloads and distinct visitors per day and track; the owner’s visits are not counted', async () => {
      const p = (await createPack(owner, { name: 'Watched' }).expect(201)).body;
      await t.http
        .put(`${API}/packs/${p.id}/tracks`)
        .set(owner.auth)
        .send({ track_ids: [tracks[0].id, tracks[1].id] })
        .expect(200);
      const link = await createLink(p.id, { label: 'stats', downloads: 'original' });
      await open(link.slug).expect(200);
      await open(link.slug).expect(200);
      await open(link.slug).expect(200);
      // the owner's own visits
      await open(link.slug).set(owner.auth).expect(200);
      await t.http
        .post(`${API}/pack-links/${link.slug}/tracks/${tracks[0].id}/plays`)
        .set(owner.auth)
        .send({ played_seconds: 60 })
        .expect(200);
      // tracks are 3 s long: 3 s heard is the whole track (qualified), 1 s is not
      const played = await t.http
        .post(`${API}/pack-links/${link.slug}/tracks/${tracks[0].id}/plays`)
        .send({ played_seconds: 3 })
        .expect(200);
      expect(played.body).toEqual({ qualified: true });
      const short = await t.http
        .post(`${API}/pack-links/${link.slug}/tracks/${tracks[0].id}/plays`)
        .send({ played_seconds: 1 })
        .expect(200);
      expect(short.body).toEqual({ qualified: false });
      await download(link.slug, tracks[1].id).expect(200);
      await download(link.slug, tracks[1].id).set(owner.auth).expect(200);

      const res = await t.http
        .get(`${API}/packs/${p.id}/links/${link.id}/analytics`)
        .set(owner.auth)
        .expect(200);
      expect(res.body.available).toBe(true);
      expect(res.body.days).toHaveLength(1);
      const [day] = res.body.days;
      expect(day).toMatchObject({ views: 3, plays: 1, downloads: 1, visitors: 1 });
      expect(day.tracks).toEqual(
        expect.arrayContaining([
          { track_id: tracks[0].id, plays: 1, downloads: 0, visitors: 1 },
          { track_id: tracks[1].id, plays: 0, downloads: 1, visitors: 1 },
        ]),
      );
      // no raw IP is kept
      const stored = await c.db.query(`SELECT visitor FROM pack_link_visitors WHERE link_id = $1`, [link.id]);
      for (const r of stored.rows) expect(r.visitor).not.toMatch(/127\.0\.0\.1/);

      expectError(
        await t.http.get(`${API}/packs/${p.id}/links/${link.id}/analytics`).set(other.auth),
        404,
        'pack_not_found',
      );
      const elsewhere = (await createPack(owner, { name: 'Elsewhere' }).expect(201)).body;
      expectError(
        await t.http.get(`${API}/packs/${elsewhere.id}/links/${link.id}/analytics`).set(owner.auth),
        404,
        'pack_link_not_found',
      );
    });

    it('a store that cannot be read: {available: false, reason}, and the link still opens', async () => {
      const p = (await createPack(owner, { name: 'Locked out' }).expect(201)).body;
      const link = await createLink(p.id, { label: 'x', downloads: 'none' });
      // another session holds the analytics table locked: reads and writes wait 1 s, then give up
      await c.db.query('BEGIN');
      try {
        await c.db.query('LOCK TABLE pack_link_stats IN ACCESS EXCLUSIVE MODE');
        await open(link.slug).expect(200);
        const res = await t.http
          .get(`${API}/packs/${p.id}/links/${link.id}/analytics`)
          .set(owner.auth)
          .expect(200);
        expect(res.body).toEqual({ available: false, reason: expect.any(String) });
      } finally {
        await c.db.query('ROLLBACK');
      }
      expect(t.logs.entries().some((e) => /analytics unavailable/.test(JSON.stringify(e)))).toBe(true);
      const after = await t.http
        .get(`${API}/packs/${p.id}/links/${link.id}/analytics`)
        .set(owner.auth)
        .expect(200);
      expect(after.body).toEqual({ available: true, days: [] });
    });
  });
});

/** Files as bytes, error answers as the JSON they are. */
const binary = (res: Response, done: (err: Error | null, body: unknown) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const bytes = Buffer.concat(chunks);
    const json = String(res.headers['content-type'] ?? '').includes('application/json');
    done(null, json ? (JSON.parse(bytes.toString('utf8')) as unknown) : bytes);
  });
};
