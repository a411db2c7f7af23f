import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { PgBoss } from 'pg-boss';
import { aiff, flac, mp3, piece, wav } from '../support/audio';
import { upload } from '../support/catalog';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

describe('track uploads and processing', () => {
  let t: TestApp;
  let producer: TestUser;
  let db: Client;
  const tmpFiles = () => t.storage.spool();
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await db.query(sql, params)).rows[0].count);

  beforeAll(async () => {
    t = await startTestApp({ LIMIT_PROCESSING_TIMEOUT_SECONDS: '300', JOBS_SUPERVISE_SECONDS: '1' });
    producer = await registerUser(t);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('accepts WAV, FLAC, AIFF and AIFF-C, decided from the bytes, and processes them to ready', async () => {
    const audio = piece(1, 4, { channels: 2 });
    const files: [Buffer, string, string][] = [
      [wav(audio), 'beat.wav', 'wav'],
      [flac(audio), 'beat.mp3', 'flac'], // the name says nothing
      [aiff(audio), 'beat.bin', 'aiff'],
      [aiff(audio, 'sowt'), 'beat.aifc', 'aifc'],
    ];
    for (const [bytes, name, format] of files) {
      const res = await upload(
        t,
        producer,
        bytes,
        { title: `T ${format}`, bpm: '140', genre: 'Drill', key: 'F#m', mood: 'dark', tags: 'uk,drill' },
        name,
      ).expect(201);
      expect(res.body).toMatchObject({
        title: `T ${format}`,
        bpm: 140,
        genre: 'drill',
        key: 'F#m',
        mood: 'dark',
        tags: ['uk', 'drill'],
        source: 'upload',
        processing_status: 'pending',
        audio: { format, duration_ms: 4000, sample_rate: 44100, channels: 2 },
        collaborators: [{ user_id: producer.id, role: 'owner', split_percent: 100 }],
      });
    }
    expect(await t.drain()).toBe(4); // one processing job per upload (registration's mail went before)
    const mine = await db.query(
      `SELECT processing_status, processing_attempts FROM tracks WHERE owner_id = $1`,
      [producer.id],
    );
    expect(mine.rows).toEqual(files.map(() => ({ processing_status: 'ready', processing_attempts: 1 })));
    expect(
      await count(
        `SELECT count(*) FROM track_fingerprints f JOIN tracks t ON t.id = f.track_id WHERE t.owner_id = $1 AND cardinality(f.fingerprint) > 10`,
        [producer.id],
      ),
    ).toBe(4);
  });

  it('shows processing to its owner, hides it from others until ready', async () => {
    const stranger = await registerUser(t);
    const res = await upload(t, producer, wav(piece(2, 2))).expect(201);
    expectError(await t.http.get(`/api/v1/tracks/${res.body.id}`), 404, 'track_not_found');
    expectError(await t.http.get(`/api/v1/tracks/${res.body.id}`).set(stranger.auth), 404, 'track_not_found');
    expect(
      (await t.http.get(`/api/v1/tracks/${res.body.id}`).set(producer.auth).expect(200)).body
        .processing_status,
    ).toBe('pending');
    await t.drain();
    expect((await t.http.get(`/api/v1/tracks/${res.body.id}`).expect(200)).body.processing_status).toBe(
      'ready',
    );
  });

  it('answers missing_track_metadata with the missing fields, validation_failed for a bad bpm', async () => {
    const missing = await upload(t, producer, wav(piece(3, 2)), { bpm: 90 });
    expectError(missing, 422, 'missing_track_metadata');
    expect(Object.keys(missing.body.errors).sort()).toEqual(['genre', 'title']);
    const slow = await upload(t, producer, wav(piece(3, 2)), { title: 'x', bpm: 30, genre: 'lofi' });
    expectError(slow, 422, 'validation_failed');
    expect(slow.body.errors.bpm).toBeDefined();
    const noFile = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .field('title', 'x')
      .field('bpm', '90')
      .field('genre', 'lofi');
    expectError(noFile, 422, 'validation_failed');
    expect(noFile.body.errors.audio).toBeDefined();
  });

  it('refuses MP3 and other content as unsupported_audio_format', async () => {
    expectError(await upload(t, producer, mp3(), undefined, 'song.wav'), 422, 'unsupported_audio_format');
    expectError(
      await upload(t, producer, Buffer.from('%PDF-1.7 not audio'), undefined, 'beat.flac'),
      422,
      'unsupported_audio_format',
    );
  });

  it('refuses a recognised but undecodable file as corrupt_audio_file', async () => {
    const truncated = wav(piece(4, 2)).subarray(0, 30);
    expectError(await upload(t, producer, truncated), 422, 'corrupt_audio_file');
  });

  it('refuses audio under one second as track_too_short', async () => {
    expectError(await upload(t, producer, wav(piece(5, 0.5))), 422, 'track_too_short');
  });

  it('leaves nothing behind after a refused upload', async () => {
    const before = await count('SELECT count(*) FROM tracks');
    expect(tmpFiles()).toEqual([]);
    expect(await count('SELECT count(*) FROM tracks')).toBe(before);
    expect(
      await count(
        'SELECT count(*) FROM audio_files WHERE NOT EXISTS (SELECT 1 FROM tracks WHERE audio_sha256 = sha256)',
      ),
    ).toBe(0);
  });

  it('rejects a 257 MB upload with file_too_large while streaming, keeping nothing', async () => {
    const path = join(t.env.DATA_DIR, 'huge.wav');
    const fd = openSync(path, 'w');
    const header = wav(piece(6, 1)).subarray(0, 44);
    writeSync(fd, header);
    const chunk = Buffer.alloc(8 * 1024 * 1024, 1);
    for (let written = 44; written < 257 * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    const before = await count('SELECT count(*) FROM tracks');
    const res = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .field('title', 'Too big')
      .field('bpm', '100')
      .field('genre', 'ambient')
      .attach('audio', path);
    expectError(res, 422, 'file_too_large');
    expect(await count('SELECT count(*) FROM tracks')).toBe(before);
    expect(tmpFiles()).toEqual([]);
  });

  it('marks audio that passes the header check but cannot be decoded as failed', async () => {
    const res = await upload(
      t,
      producer,
      flac(piece(7, 4), { corruptFrames: true }),
      undefined,
      'broken.flac',
    ).expect(201);
    await t.drain();
    const track = await t.http.get(`/api/v1/tracks/${res.body.id}`).set(producer.auth).expect(200);
    expect(track.body.processing_status).toBe('failed');
    // a documented code, not the decoder's message
    expect(track.body.processing_error).toBe('corrupt_audio');
    expect(await count('SELECT count(*) FROM track_fingerprints WHERE track_id = $1', [res.body.id])).toBe(0);
  });

  it('retries a job whose worker crashed mid-way, through the job system', async () => {
    const res = await upload(t, producer, wav(piece(8, 3))).expect(201);
    // a worker takes the job and the track, then its process dies
    const crashed = new PgBoss({
      connectionString: t.databaseUrl,
      max: 1,
      supervise: false,
      schedule: false,
    });
    await crashed.start();
    const [job] = await crashed.fetch('track.process');
    expect(job.data).toEqual({ trackId: res.body.id });
    await db.query(
      `UPDATE tracks SET processing_status = 'processing', processing_attempts = 1 WHERE id = $1`,
      [res.body.id],
    );
    await crashed.stop({ graceful: false });

    expect(
      (await t.http.get(`/api/v1/tracks/${res.body.id}`).set(producer.auth)).body.processing_status,
    ).toBe('processing');
    // not yet: its lease (LIMIT_PROCESSING_TIMEOUT_SECONDS=300, by the application clock) holds
    await t.drain();
    await t.advanceClock(290);
    await t.drain();
    const status = async () =>
      (await t.http.get(`/api/v1/tracks/${res.body.id}`).set(producer.auth)).body.processing_status;
    expect(await status()).toBe('processing');
    // the lease runs out on the application clock; the retry comes after its delay, on the same clock
    await t.advanceClock(20);
    await t.drain();
    await t.advanceClock(20);
    await t.drain();
    expect(await status()).toBe('ready');
    expect(
      (await db.query('SELECT processing_attempts FROM tracks WHERE id = $1', [res.body.id])).rows[0]
        .processing_attempts,
    ).toBe(2);
  });

  it('fails a track whose worker dies on every attempt, instead of leaving it processing', async () => {
    const res = await upload(t, producer, wav(piece(12, 2))).expect(201);
    const crashed = new PgBoss({
      connectionString: t.databaseUrl,
      max: 1,
      supervise: false,
      schedule: false,
    });
    await crashed.start();
    try {
      // the first attempt and its three retries: each taken by a worker that then dies
      for (let attempt = 0; attempt < 4; attempt++) {
        const jobs = await crashed.fetch('track.process');
        expect(jobs.map((j) => j.data)).toEqual([{ trackId: res.body.id }]);
        await t.advanceClock(310); // past LIMIT_PROCESSING_TIMEOUT_SECONDS, by the application clock
        await t.drain();
        await t.advanceClock(20); // past the retry delay
      }
    } finally {
      await crashed.stop({ graceful: false });
    }
    const track = (await t.http.get(`/api/v1/tracks/${res.body.id}`).set(producer.auth).expect(200)).body;
    expect(track.processing_status).toBe('failed');
    expect(track.processing_error).toBe('internal_error');
  });

  it('stores a documented code when processing fails on our side, never the raw exception', async () => {
    const res = await upload(t, producer, wav(piece(11, 2))).expect(201);
    const sha = (await db.query('SELECT audio_sha256 FROM tracks WHERE id = $1', [res.body.id])).rows[0]
      .audio_sha256 as string;
    // the stored file vanishes: the worker's exception names its path
    await t.storage.remove(sha);
    const read = async () => (await t.http.get(`/api/v1/tracks/${res.body.id}`).set(producer.auth)).body;
    // every retry waits its delay on the application clock (3 retries, backoff from 2 s)
    for (let attempt = 0; attempt < 4; attempt++) {
      await t.drain();
      await t.advanceClock(40);
    }
    await t.drain();
    const track = await read();
    expect(track.processing_status).toBe('failed');
    expect(track.processing_error).toBe('internal_error');
    expect(
      (await db.query('SELECT processing_attempts FROM tracks WHERE id = $1', [res.body.id])).rows[0]
        .processing_attempts,
    ).toBe(4);
  });

  it('stores the same bytes once, and concurrent uploads of them all succeed', async () => {
    const bytes = wav(piece(9, 2));
    const uploaders = await Promise.all([1, 2, 3, 4, 5].map(() => registerUser(t)));
    const results = await Promise.all(uploaders.map((u) => upload(t, u, bytes)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const shas = new Set(
      (
        await db.query('SELECT audio_sha256 FROM tracks WHERE id = ANY($1)', [results.map((r) => r.body.id)])
      ).rows.map((r) => r.audio_sha256),
    );
    expect(shas.size).toBe(1);
    const [sha] = [...shas];
    expect(await count('SELECT count(*) FROM audio_files WHERE sha256 = $1', [sha])).toBe(1);
    expect(await t.storage.has(sha)).toBe(true);

    // deleting one keeps the file for the others; deleting all of them, concurrently, removes it
    await t.http.delete(`/api/v1/tracks/${results[0].body.id}`).set(uploaders[0].auth).expect(204);
    expect(await t.storage.has(sha)).toBe(true);
    const deletions = await Promise.all(
      results.slice(1).map((r, i) => t.http.delete(`/api/v1/tracks/${r.body.id}`).set(uploaders[i + 1].auth)),
    );
    expect(deletions.map((d) => d.status)).toEqual([204, 204, 204, 204]);
    expect(await count('SELECT count(*) FROM audio_files WHERE sha256 = $1', [sha])).toBe(0);
    expect(await t.storage.has(sha)).toBe(false);
  });

  it('keeps file and rows consistent when uploads and deletions of the same bytes race', async () => {
    const bytes = wav(piece(10, 2));
    const first = await upload(t, producer, bytes).expect(201);
    const racers = await Promise.all([1, 2, 3].map(() => registerUser(t)));
    const [deleted, ...uploads] = await Promise.all([
      t.http.delete(`/api/v1/tracks/${first.body.id}`).set(producer.auth),
      ...racers.map((u) => upload(t, u, bytes)),
    ]);
    expect([deleted.status, ...uploads.map((r) => r.status)]).toEqual([204, 201, 201, 201]);
    const rows = await db.query(
      'SELECT sha256 FROM audio_files WHERE sha256 = (SELECT audio_sha256 FROM tracks WHERE owner_id = $1 LIMIT 1)',
      [racers[0].id],
    );
    expect(rows.rowCount).toBe(1);
    const sha = rows.rows[0].sha256 as string;
    expect(await t.storage.has(sha)).toBe(true);
  });

  it('adds an external-link track from JSON, never fingerprinted', async () => {
    const res = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .send({
        title: 'On SoundCloud',
        bpm: 120,
        genre: 'house',
        external_url: 'https://soundcloud.com/someone/track',
      })
      .expect(201);
    expect(res.body).toMatchObject({
      source: 'external',
      external_url: 'https://soundcloud.com/someone/track',
      processing_status: null,
      audio: null,
    });
    await t.drain();
    expect(await count('SELECT count(*) FROM track_fingerprints WHERE track_id = $1', [res.body.id])).toBe(0);
    const missing = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .send({ bpm: 120, external_url: 'https://x.test/a' });
    expectError(missing, 422, 'missing_track_metadata');
    const badUrl = await t.http
      .post('/api/v1/tracks')
      .set(producer.auth)
      .send({ title: 'x', bpm: 120, genre: 'house', external_url: 'ftp://x' });
    expectError(badUrl, 422, 'validation_failed');
  });

  // last in this file: it moves the application clock a month
  it('keeps a queued job through a month of job time: it runs late, it is never deleted unrun', async () => {
    const res = await upload(t, producer, wav(piece(31, 2))).expect(201);
    // nothing ran it yet; a month passes (a stopped fleet, or the test clock's jump)
    await t.advanceClock(31 * 24 * 3600);
    await t.drain(); // supervision first (pg-boss deletes queued jobs past their retention), then the jobs
    const { rows } = await db.query('SELECT processing_status FROM tracks WHERE id = $1', [res.body.id]);
    expect(rows[0].processing_status).toBe('ready');
  });
});
