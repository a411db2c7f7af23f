import { Client } from 'pg';
import type { Response } from 'superagent';
import { readyTrack, upload } from '../support/catalog';
import { piece, toneWav, wav } from '../support/audio';
import { expectError } from '../support/expect-error';
import { startTestApp, type TestApp } from '../support/test-app';
import { registerUser, type TestUser } from '../support/users';
import { Renditions } from '../../src/modules/listening/renditions';

const API = '/api/v1';

describe('listening', () => {
  let t: TestApp;
  let db: Client;
  let owner: TestUser;
  let fan: TestUser;
  let track: { id: string };

  const stream = (user: TestUser | undefined, id: string, device?: string) => {
    let req = t.http.get(`${API}/tracks/${id}/stream${device ? `?device_id=${device}` : ''}`);
    if (user) req = req.set(user.auth);
    return req;
  };
  /** The media path of a stream answer's Location (the app's own URL). */
  const mediaPath = (location: string) => {
    const url = new URL(location, t.url);
    return url.pathname + url.search;
  };

  beforeAll(async () => {
    t = await startTestApp({ JOBS_AUTORUN: '0' });
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    owner = await registerUser(t, { name: 'Producer' });
    fan = await registerUser(t, { name: 'Fan' });
    track = await readyTrack(t, owner, wav(piece(7, 8)));
  });

  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('a ready upload has a clean rendition, peaks and loudness on the track', async () => {
    const { rows } = await db.query(
      `SELECT kind, content_type, duration_ms, size_bytes FROM track_renditions WHERE track_id = $1`,
      [track.id],
    );
    expect(rows).toEqual([expect.objectContaining({ kind: 'clean', content_type: 'audio/mp4' })]);
    expect(Math.abs(rows[0].duration_ms - 8000)).toBeLessThanOrEqual(50);
    const res = await t.http.get(`${API}/tracks/${track.id}`).expect(200);
    expect(typeof res.body.loudness_lufs).toBe('number');
    expect(typeof res.body.true_peak_dbtp).toBe('number');
    expect(res.body.replay_gain_db).toBeCloseTo(-14 - res.body.loudness_lufs, 1);
  });

  it('GET /tracks/:id/stream redirects to a signed media URL that serves ranges, HEAD, ETag and If-Range', async () => {
    const res = await stream(undefined, track.id).expect(302);
    const path = mediaPath(res.headers.location);
    const full = await t.http.get(path).buffer(true).parse(binary).expect(200);
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.headers['content-type']).toBe('audio/mp4');
    const size = (full.body as Buffer).length;
    expect(Number(full.headers['content-length'])).toBe(size);
    const etag = full.headers.etag;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    // the MP4 index comes first (faststart): a player can seek at once
    expect((full.body as Buffer).subarray(4, 8).toString('latin1')).toBe('ftyp');

    const part = await t.http.get(path).set('Range', 'bytes=100-199').buffer(true).parse(binary).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${size}`);
    expect(part.body).toEqual((full.body as Buffer).subarray(100, 200));
    const tail = await t.http.get(path).set('Range', 'bytes=-10').buffer(true).parse(binary).expect(206);
    expect(tail.body).toEqual((full.body as Buffer).subarray(size - 10));

    const beyond = await t.http.get(path).set('Range', `bytes=${size}-`).expect(416);
    expectError(beyond, 416, 'range_not_satisfiable');
    expect(beyond.headers['content-range']).toBe(`bytes */${size}`);

    const head = await t.http.head(path).expect(200);
    expect(head.headers['content-length']).toBe(String(size));
    expect(head.headers.etag).toBe(etag);

    // If-Range with the ETag keeps the range; with another tag the whole file comes
    await t.http.get(path).set('Range', 'bytes=0-9').set('If-Range', etag).expect(206);
    await t.http.get(path).set('Range', 'bytes=0-9').set('If-Range', '"other"').expect(200);
    await t.http.get(path).set('If-None-Match', etag).expect(304);

    // JSON for clients that fetch with an Authorization header
    const json = await stream(fan, track.id, 'web').set('Accept', 'application/json').expect(200);
    expect(json.body).toEqual({
      url: expect.stringContaining('/api/v1/media?token='),
      expires_at: expect.any(String),
      rendition: 'clean',
    });
  });

  it('a signed link expires, and an altered one is refused (stream_link_expired)', async () => {
    const res = await stream(undefined, track.id).expect(302);
    const path = mediaPath(res.headers.location);
    const altered = path.slice(0, -3) + (path.endsWith('AAA') ? 'BBB' : 'AAA');
    expectError(await t.http.get(altered), 403, 'stream_link_expired');
    await t.advanceClock(301);
    expectError(await t.http.get(path), 403, 'stream_link_expired');
  });

  it('before its rendition exists: stream_not_ready with Retry-After, peaks_not_found', async () => {
    const res = await upload(t, owner, wav(piece(11, 3))).expect(201);
    const pending = await stream(owner, res.body.id, 'studio');
    expectError(pending, 409, 'stream_not_ready');
    expect(Number(pending.headers['retry-after'])).toBeGreaterThan(0);
    expectError(
      await t.http.get(`${API}/tracks/${res.body.id}/peaks`).set(owner.auth),
      404,
      'peaks_not_found',
    );
    // someone else does not even see it
    expectError(await stream(fan, res.body.id), 404, 'track_not_found');
    await t.drain();
    await stream(owner, res.body.id, 'studio').expect(302);
    await t.http.delete(`${API}/tracks/${res.body.id}`).set(owner.auth).expect(204);
  });

  it('a blocked pair does not hear each other’s tracks (track_not_found)', async () => {
    const stranger = await registerUser(t);
    await t.http.post(`${API}/users/${stranger.id}/block`).set(owner.auth).expect(204);
    expectError(await stream(stranger, track.id, 'x'), 404, 'track_not_found');
    expectError(
      await t.http.get(`${API}/tracks/${track.id}/peaks`).set(stranger.auth),
      404,
      'track_not_found',
    );
  });

  it('GET /tracks/:id/peaks answers audiowaveform v2 JSON, resampled, cacheable', async () => {
    const res = await t.http.get(`${API}/tracks/${track.id}/peaks?pixels=64`).expect(200);
    expect(res.body).toMatchObject({ version: 2, channels: 1, bits: 8, length: 64, sample_rate: 44100 });
    expect(res.body.data).toHaveLength(128);
    for (let i = 0; i < 128; i += 2) expect(res.body.data[i]).toBeLessThanOrEqual(res.body.data[i + 1]);
    expect(res.headers['cache-control']).toContain('public');
    await t.http
      .get(`${API}/tracks/${track.id}/peaks?pixels=64`)
      .set('If-None-Match', res.headers.etag)
      .expect(304);
    const dflt = await t.http.get(`${API}/tracks/${track.id}/peaks`).expect(200);
    expect(dflt.body.length).toBe(1000);
    expectError(await t.http.get(`${API}/tracks/${track.id}/peaks?pixels=10`), 422, 'validation_failed');
  });

  it('one live stream per user: 10 devices at once → exactly one live; the same device takes over', async () => {
    const listener = await registerUser(t);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stream(listener, track.id, `device-${i}`)),
    );
    expect(results.filter((r) => r.status === 302)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 302);
    expect(refused).toHaveLength(9);
    for (const r of refused) expectError(r, 429, 'concurrent_stream_limit');
    const { rows } = await db.query('SELECT device_id FROM live_streams WHERE user_id = $1', [listener.id]);
    expect(rows).toHaveLength(1);
    const winner = rows[0].device_id as string;
    await stream(listener, track.id, winner).expect(302);
    // radio on another device is refused too, and the play report of another device
    expectError(
      await t.http
        .post(`${API}/tracks/${track.id}/plays`)
        .set(listener.auth)
        .send({ device_id: 'other', source: 'library', played_seconds: 40 }),
      429,
      'concurrent_stream_limit',
    );
    // a lapsed heartbeat frees it
    await t.advanceClock(61);
    await stream(listener, track.id, 'other').expect(302);
  });

  it('plays: 20 parallel reports of one listen count once; short plays and the owner’s never', async () => {
    const listener = await registerUser(t);
    const report = (u: TestUser, seconds: number, device = 'phone') =>
      t.http
        .post(`${API}/tracks/${track.id}/plays`)
        .set(u.auth)
        .send({ device_id: device, source: 'playlist', played_seconds: seconds });
    const before = await playCount(track.id);
    const results = await Promise.all(Array.from({ length: 20 }, () => report(listener, 30)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.filter((r) => r.body.counted)).toHaveLength(1);
    expect(await playCount(track.id)).toBe(before + 1);
    // the whole track (8 s) heard counts as a full play for a short track — but within 10 minutes, not again
    expect((await report(listener, 8).expect(200)).body.counted).toBe(false);
    await t.advanceClock(601);
    const fresh = await registerUser(t);
    expect((await report(fresh, 5).expect(200)).body.counted).toBe(false);
    expect((await report(fresh, 8).expect(200)).body.counted).toBe(true);
    expect((await report(owner, 60, 'studio').expect(200)).body.counted).toBe(false);
    const history = await db.query(
      'SELECT count(*)::int AS n FROM listens WHERE user_id = $1 AND track_id = $2',
      [listener.id, track.id],
    );
    expect(history.rows[0].n).toBe(21);
    expectError(
      await t.http
        .post(`${API}/tracks/${track.id}/plays`)
        .set(fan.auth)
        .send({ device_id: 'x', source: 'nowhere', played_seconds: 3 }),
      422,
      'validation_failed',
    );
  });

  it('voice tags: invalid files refused; listeners hear the tagged rendition, the owner the clean one', async () => {
    const put = (file: Buffer, name = 'tag.wav') =>
      t.http.put(`${API}/me/voice-tag`).set(owner.auth).attach('audio', file, name);
    expectError(await put(Buffer.from('not audio at all, just text'), 'tag.txt'), 422, 'voice_tag_invalid');
    expectError(await put(toneWav(12)), 422, 'voice_tag_invalid');
    const set = await put(toneWav(2)).expect(200);
    expect(set.body.voice_tag).toMatchObject({ duration_ms: expect.any(Number) });
    expect(
      (await t.http.get(`${API}/me/voice-tag`).set(owner.auth).expect(200)).body.voice_tag,
    ).not.toBeNull();

    // while the tagged rendition is being made, listeners wait; the owner hears the clean one
    expectError(await stream(fan, track.id, 'fan-phone'), 409, 'stream_not_ready');
    await stream(owner, track.id, 'studio').expect(302);
    await t.drain();
    const tagged = await stream(fan, track.id, 'fan-phone').set('Accept', 'application/json').expect(200);
    expect(tagged.body.rendition).toBe('tagged');
    const clean = await stream(owner, track.id, 'studio').set('Accept', 'application/json').expect(200);
    expect(clean.body.rendition).toBe('clean');
    const objects = await db.query(
      `SELECT kind, sha256 FROM track_renditions WHERE track_id = $1 ORDER BY kind`,
      [track.id],
    );
    expect(objects.rows.map((r) => r.kind)).toEqual(['clean', 'tagged']);
    const taggedSha = objects.rows[1].sha256 as string;
    expect(await t.storage.has(taggedSha)).toBe(true);

    await t.http.delete(`${API}/me/voice-tag`).set(owner.auth).expect(204);
    await t.drain();
    const after = await stream(fan, track.id, 'fan-phone').set('Accept', 'application/json').expect(200);
    expect(after.body.rendition).toBe('clean');
    expect(await t.storage.has(taggedSha)).toBe(false);
  });

  it('a deleted track leaves no rendition behind', async () => {
    const doomed = await readyTrack(t, owner, wav(piece(23, 3)));
    const { rows } = await db.query('SELECT sha256 FROM track_renditions WHERE track_id = $1', [doomed.id]);
    expect(rows).toHaveLength(1);
    await t.http.delete(`${API}/tracks/${doomed.id}`).set(owner.auth).expect(204);
    expect(await t.storage.has(rows[0].sha256)).toBe(false);
    expect((await db.query('SELECT 1 FROM track_peaks WHERE track_id = $1', [doomed.id])).rows).toHaveLength(
      0,
    );
  });

  it('uploads made before listening existed get their renditions from the backfill job', async () => {
    const old = await readyTrack(t, owner, wav(piece(31, 3)));
    // as the listening migration leaves them: pending, without renditions or peaks, untouched for a while
    await db.query('DELETE FROM track_renditions WHERE track_id = $1', [old.id]);
    await db.query('DELETE FROM track_peaks WHERE track_id = $1', [old.id]);
    await db.query(
      `UPDATE tracks SET processing_status = 'pending', loudness_lufs = NULL, updated_at = now() - interval '1 day' WHERE id = $1`,
      [old.id],
    );
    expectError(await stream(fan, old.id, 'fan-phone'), 404, 'track_not_found');
    expectError(await stream(owner, old.id, 'studio'), 409, 'stream_not_ready');
    await t.app.get(Renditions).backfill();
    await t.drain();
    const after = await t.http.get(`${API}/tracks/${old.id}`).expect(200);
    expect(after.body).toMatchObject({ processing_status: 'ready', loudness_lufs: expect.any(Number) });
    await stream(fan, old.id, 'fan-phone').expect(302);
    await t.http.get(`${API}/tracks/${old.id}/peaks`).expect(200);
  });

  async function playCount(trackId: string): Promise<number> {
    const { rows } = await db.query('SELECT plays::int AS n FROM track_play_counts WHERE track_id = $1', [
      trackId,
    ]);
    return rows[0]?.n ?? 0;
  }
});

/** supertest: the body as a Buffer, whatever the type. */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};
