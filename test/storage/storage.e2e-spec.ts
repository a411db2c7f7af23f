import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Client } from 'pg';
import { mp3, piece, wav } from '../support/audio';
import { readyTrack, upload } from '../support/catalog';
import { buy, CommerceApp, OFFERS, startCommerceApp } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { backendPid, lockWaiters } from '../support/locks';
import { StorageService } from '../../src/platform/storage/storage.service';
import { S3Server } from '../support/s3-server';
import { StorageDriver, startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser, TestUser } from '../support/users';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (no timed assertion) until the condition holds or ~10 s passed. */
async function eventually(check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await sleep(50);
}

/** A multipart upload of `audio`, cut after `sent` bytes of the body: the client goes away. */
async function interruptedUpload(t: TestApp, user: TestUser, audio: Buffer, sent: number): Promise<void> {
  const boundary = 'cut-boundary-0123456789';
  const head = ['title', 'bpm', 'genre']
    .map(
      (name, i) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${['Cut', '90', 'trap'][i]}\r\n`,
    )
    .join('');
  const body = Buffer.concat([
    Buffer.from(
      `${head}--${boundary}\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    ),
    audio,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST /api/v1/tracks HTTP/1.1\r\nHost: x\r\nAuthorization: ${user.auth.Authorization}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.write(body.subarray(0, sent), () => resolve()));
  // the server has started receiving the file: the client vanishes mid-stream
  await eventually(() => t.storage.spool().length > 0);
  socket.destroy();
}

describe.each<StorageDriver>(['local', 's3'])('object storage (%s driver)', (driver) => {
  let t: TestApp;
  let producer: TestUser;
  let db: Client;
  /** the backend of `db`, which takes objects' locks for the races */
  let holder: number;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.query(sql, params)).rows[0].count);
  const shaOf = async (trackId: string) =>
    (await db.query('SELECT audio_sha256 FROM tracks WHERE id = $1', [trackId])).rows[0]
      .audio_sha256 as string;
  /** no leftover claims: every upload pin and deletion claim ended */
  const claims = () =>
    count('SELECT (SELECT count(*) FROM storage_writes) + (SELECT count(*) FROM storage_deletions) AS count');

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_UPLOAD_BYTES: String(16 * 1024 * 1024) }, { storage: driver });
    producer = await registerUser(t);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    holder = await backendPid(db);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('runs on the driver it was asked for', () => {
    expect(t.storage.driver).toBe(driver);
  });

  it('leaves no object and no row after an upload interrupted mid-stream', async () => {
    const before = { objects: await t.storage.objects(), tracks: await count('SELECT count(*) FROM tracks') };
    const audio = wav(piece(501, 20)); // ~1.8 MB, under the 16 MB limit of this app
    await interruptedUpload(t, producer, audio, Math.floor(audio.length / 2));
    await eventually(() => t.storage.spool().length === 0);
    expect(t.storage.spool()).toEqual([]);
    expect(await t.storage.objects()).toEqual(before.objects);
    expect(await count('SELECT count(*) FROM tracks')).toBe(before.tracks);
    expect(await count('SELECT count(*) FROM audio_files')).toBe(before.objects.length);
    expect(await claims()).toBe(0);
    await t.http.get('/api/v1/health').expect(200);
  });

  it('leaves nothing after a refused upload: too large, wrong format, too short', async () => {
    const before = { objects: await t.storage.objects(), tracks: await count('SELECT count(*) FROM tracks') };
    const tooLarge = Buffer.concat([wav(piece(502, 1)).subarray(0, 44), Buffer.alloc(17 * 1024 * 1024, 1)]);
    expectError(await upload(t, producer, tooLarge), 422, 'file_too_large');
    expectError(await upload(t, producer, mp3()), 422, 'unsupported_audio_format');
    expectError(await upload(t, producer, wav(piece(503, 0.5))), 422, 'track_too_short');
    expect(t.storage.spool()).toEqual([]);
    expect(await t.storage.objects()).toEqual(before.objects);
    expect(await count('SELECT count(*) FROM tracks')).toBe(before.tracks);
    expect(await claims()).toBe(0);
  });

  it('stores a file of several parts (S3: multipart) and processes it from the store', async () => {
    const audio = wav(piece(504, 100)); // ~8.8 MB: two 8 MB parts on S3
    const track = await readyTrack(t, producer, audio);
    expect(track.processing_status).toBe('ready');
    expect(await t.storage.has(createHash('sha256').update(audio).digest('hex'))).toBe(true);
    expect(t.storage.spool()).toEqual([]);
  });

  it('removes the object after its last reference goes, not before', async () => {
    const bytes = wav(piece(505, 2));
    const other = await registerUser(t);
    const a = await upload(t, producer, bytes).expect(201);
    const b = await upload(t, other, bytes).expect(201);
    const sha = await shaOf(a.body.id);
    expect(await t.storage.has(sha)).toBe(true);
    await t.http.delete(`/api/v1/tracks/${a.body.id}`).set(producer.auth).expect(204);
    expect(await t.storage.has(sha)).toBe(true);
    await t.http.delete(`/api/v1/tracks/${b.body.id}`).set(other.auth).expect(204);
    expect(await t.storage.has(sha)).toBe(false);
    expect(await count('SELECT count(*) FROM audio_files WHERE sha256 = $1', [sha])).toBe(0);
    // the queued collection finds nothing left to do
    await t.drain();
    expect(await claims()).toBe(0);
  });

  it('finishes a deletion left half-done by a crashed deleter, through its queued job', async () => {
    const res = await upload(t, producer, wav(piece(506, 2))).expect(201);
    const sha = await shaOf(res.body.id);
    // a deleter that claimed this object and died: its claim still runs for 60 s
    const now = Date.parse((await t.http.get('/api/v1/__test/clock')).body.now as string);
    await db.query('INSERT INTO storage_deletions (sha256, claimed_until) VALUES ($1, $2)', [
      sha,
      new Date(now + 60_000),
    ]);
    // the last reference goes: the request's own attempt defers to that claim
    await t.http.delete(`/api/v1/tracks/${res.body.id}`).set(producer.auth).expect(204);
    expect(await t.storage.has(sha)).toBe(true);
    // the claim lapses; the collection queued with the deletion's commit finishes the job
    await t.advanceClock(61);
    await t.drain();
    expect(await t.storage.has(sha)).toBe(false);
    expect(await claims()).toBe(0);
  });

  it('keeps the file when a re-upload races the deletion of its last reference', async () => {
    for (let round = 0; round < 4; round++) {
      const bytes = wav(piece(600 + round, 2));
      const first = await upload(t, producer, bytes).expect(201);
      const sha = await shaOf(first.body.id);
      const uploader = await registerUser(t);
      // both wait on the object's lock (released only once both are seen queued on it), then go in
      // whatever order the database grants it
      await db.query('SELECT pg_advisory_lock(hashtextextended($1, 7))', [sha]);
      const deletion = t.http
        .delete(`/api/v1/tracks/${first.body.id}`)
        .set(producer.auth)
        .then((r) => r);
      const again = upload(t, uploader, bytes).then((r) => r);
      await lockWaiters(t.databaseUrl, { count: 2, blockedBy: holder });
      await db.query('SELECT pg_advisory_unlock(hashtextextended($1, 7))', [sha]);
      const [deleted, uploaded] = await Promise.all([deletion, again]);
      expect([deleted.status, uploaded.status]).toEqual([204, 201]);
      expect(await count('SELECT count(*) FROM audio_files WHERE sha256 = $1', [sha])).toBe(1);
      expect([round, await t.storage.has(sha)]).toEqual([round, true]);
    }
    await t.drain();
    expect(await claims()).toBe(0);
  });

  it('reads a byte range of an object: exactly those bytes (Range requests)', async () => {
    const storage = t.app.get(StorageService);
    const bytes = randomBytes(100_000);
    const received = await storage.receive(Readable.from([bytes]), bytes.length);
    await storage.put(received.tempPath, received.sha256);
    try {
      for (const [start, end] of [
        [0, 0],
        [0, 1],
        [1, 9],
        [12_345, 67_890],
        [99_999, 99_999],
        [0, 99_999],
      ]) {
        if (driver === 's3' && end === 0) {
          // s3rver 3.7.1 reads an end of 0 as "to the end" (`end || Infinity`) and answers the whole
          // object as 206: the driver refuses to pass on other bytes than were asked for
          await expect(storage.readRange(received.sha256, start, end)).rejects.toThrow(
            'S3 answered bytes 0-99999/100000 to Range bytes=0-0',
          );
          continue;
        }
        const part = await buffer(await storage.readRange(received.sha256, start, end));
        expect([start, end, part.length]).toEqual([start, end, end - start + 1]);
        expect(part.equals(bytes.subarray(start, end + 1))).toBe(true);
      }
    } finally {
      await storage.remove(received.sha256);
    }
    expect(t.storage.spool()).toEqual([]);
  });

  it('makes an upload wait for a deletion in flight instead of writing under it', async () => {
    const bytes = wav(piece(700, 2));
    const first = await upload(t, producer, bytes).expect(201);
    const sha = await shaOf(first.body.id);
    await t.http.delete(`/api/v1/tracks/${first.body.id}`).set(producer.auth).expect(204);
    // a deleter elsewhere has claimed the (re-created) object and is about to remove it
    const now = new Date((await t.http.get('/api/v1/__test/clock')).body.now as string);
    await db.query('INSERT INTO storage_deletions (sha256, claimed_until) VALUES ($1, $2)', [
      sha,
      new Date(now.getTime() + 60_000),
    ]);
    // the upload is let through the object's lock once, to find the claim; taking the lock again
    // right after queues behind it, so when the upload is next seen waiting for the lock it has
    // seen the claim and come back for another try (a fixed sleep could end before it arrived)
    await db.query('SELECT pg_advisory_lock(hashtextextended($1, 7))', [sha]);
    const again = upload(t, producer, bytes).then((r) => r);
    await lockWaiters(t.databaseUrl, { count: 1, blockedBy: holder });
    await db.query('SELECT pg_advisory_unlock(hashtextextended($1, 7))', [sha]);
    await db.query('SELECT pg_advisory_lock(hashtextextended($1, 7))', [sha]);
    await lockWaiters(t.databaseUrl, { count: 1, blockedBy: holder });
    // the deleter's call lands, then its claim ends: only now may the upload write
    await t.storage.remove(sha).catch(() => undefined);
    await db.query('DELETE FROM storage_deletions WHERE sha256 = $1', [sha]);
    await db.query('SELECT pg_advisory_unlock(hashtextextended($1, 7))', [sha]);
    expect((await again).status).toBe(201);
    expect(await t.storage.has(sha)).toBe(true);
  });
});

describe('S3 downloads', () => {
  const s3 = new S3Server();
  let c: CommerceApp;
  let shortLived: TestApp;
  let proxy: TestApp;
  let buyer: TestUser;
  let linkUrl: string;
  const audio = wav(piece(31338, 2));
  const path = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  beforeAll(async () => {
    await s3.start();
    c = await startCommerceApp({}, { s3 });
    const database = { name: '', url: c.t.databaseUrl, drop: () => Promise.resolve() };
    // the same database and bucket, with other download settings
    shortLived = await startTestApp({ S3_PRESIGN_SECONDS: '1' }, { database, s3 });
    proxy = await startTestApp({ S3_DOWNLOADS: 'proxy' }, { database, s3 });
    const producer = await registerUser(c.t);
    const track = await readyTrack(c.t, producer, audio);
    await c.t.http
      .put(`/api/v1/tracks/${track.id}/license-offers`)
      .set(producer.auth)
      .send({ offers: OFFERS })
      .expect(200);
    buyer = await registerUser(c.t);
    const { confirmed } = await buy(c.t, buyer, track.id, 'basic', 2999);
    linkUrl = (
      await c.t.http
        .post(`/api/v1/licenses/${confirmed.body.license_id}/download-links`)
        .set(buyer.auth)
        .expect(201)
    ).body.url as string;
  });
  afterAll(async () => {
    await proxy?.close();
    await shortLived?.close();
    await c?.close();
    await s3.stop();
  });

  it('redirects a signed link to a presigned object URL that serves the file', async () => {
    const res = await c.t.http.get(path(linkUrl)).redirects(0).expect(302);
    expect(res.headers['cache-control']).toBe('private, no-store');
    const location = new URL(res.headers.location);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('audio/wav');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.wav"$/);
    expect(Buffer.compare(Buffer.from(await file.arrayBuffer()), audio)).toBe(0);
    // the redirect is answered once (no second reply logged)
    expect(c.t.logs.entries().filter((l) => /already sent/i.test(JSON.stringify(l)))).toEqual([]);
  });

  it('lets the presigned URL expire', async () => {
    const res = await shortLived.http.get(path(linkUrl)).redirects(0).expect(302);
    const location = new URL(res.headers.location);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('1');
    await sleep(2100);
    const file = await fetch(location);
    expect(file.status).toBe(403);
    expect(await file.text()).toMatch(/expired/i);
  });

  it('streams through the server with S3_DOWNLOADS=proxy', async () => {
    const res = await proxy.http
      .get(path(linkUrl))
      .redirects(0)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(Buffer.compare(res.body as Buffer, audio)).toBe(0);
  });

  it('keeps the link rules first: a suspended holder gets account_suspended, not a redirect', async () => {
    const admin = await loginAdmin(c.t);
    await c.t.http
      .post(`/api/v1/admin/users/${buyer.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'chargebacks' })
      .expect(200);
    expectError(await c.t.http.get(path(linkUrl)).redirects(0), 403, 'account_suspended');
    expectError(await proxy.http.get(path(linkUrl)).redirects(0), 403, 'account_suspended');
  });
});
