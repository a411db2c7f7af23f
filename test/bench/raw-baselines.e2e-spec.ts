import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { indexKeys } from '../../src/modules/audio/fingerprint-matching';
import { BeatRequestsRepository } from '../../src/modules/beat-requests/beat-requests.repository';
import { buildCurrentSource } from '../support/build-source';
import { freePort } from '../support/fleet';
import { backendPid, connect, lockWaiters } from '../support/locks';
import {
  childStatements,
  clearStatements,
  recordStatements,
  type SentStatement,
} from '../support/pg-statements';
import { dbQuery } from '../support/social';
import { startTestApp, TestApp, TEST_JWT_SECRET } from '../support/test-app';
import { registerUser, TestUser } from '../support/users';

const ROOT = join(__dirname, '..', '..');

/**
 * The benchmark's rule (README "Benchmarks"): a raw baseline sends exactly the app's statements
 * for its route — same text, prepared by the same name or unnamed alike, in the same order and
 * transactions — so app/raw measures the framework, not a different use of the database. Here the
 * raw servers of bench/ run as the benchmark runs them (their own processes, against the test
 * app's database, importing the current source's build) with every pg statement recorded, and
 * each route is called once on either side. Also the switch the benchmark's unbatched
 * submissions line needs: SUBMISSION_BATCHING=0 turns the app's call combiner off.
 */

let fingerprintSeed = 1;
const randomFingerprint = () =>
  Array.from({ length: 960 }, () => (Math.imul(++fingerprintSeed, 2654435761) ^ (fingerprintSeed << 7)) | 0);

/** A ready, fingerprinted upload of `owner`, written straight to the database (processing is tested elsewhere). */
async function readyTrack(t: TestApp, owner: TestUser, fingerprint = randomFingerprint()): Promise<string> {
  const id = `trk_raw${String(++fingerprintSeed).padStart(23, '0')}`;
  await dbQuery(
    t,
    `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('raw-baselines', 1, 'wav', now())
     ON CONFLICT DO NOTHING`,
  );
  await dbQuery(
    t,
    `INSERT INTO tracks (id, owner_id, title, bpm, genre, tags, source, audio_sha256, format, duration_ms,
                         processing_status, created_at, updated_at)
     VALUES ($1, $2, 'Beat', 90, 'trap', '{}', 'upload', 'raw-baselines', 'wav', 120000, 'ready', now(), now())`,
    [id, owner.id],
  );
  await dbQuery(
    t,
    `INSERT INTO track_fingerprints (track_id, fingerprint, hashes, duration_ms, created_at)
     VALUES ($1, $2, $3, 120000, now())`,
    [id, fingerprint, indexKeys(fingerprint)],
  );
  return id;
}

const REQUEST = {
  description: 'Dark trap beat with heavy 808s',
  reference_track_url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  duration_hours: 24,
};

const newRequest = async (t: TestApp, owner: TestUser): Promise<string> =>
  (
    (await t.http.post('/api/v1/beat-requests').set(owner.auth).send(REQUEST).expect(201)).body as {
      id: string;
    }
  ).id;

/** Tokens of this month for `user` (none yet), granted through the ledger as the benchmark grants them. */
async function fund(t: TestApp, user: TestUser): Promise<void> {
  const period = new Date().toISOString().slice(0, 7);
  await dbQuery(
    t,
    `INSERT INTO token_balances (user_id, period, balance, allowance, updated_at) VALUES ($1, $2, 100, 100, now())`,
    [user.id, period],
  );
  await dbQuery(
    t,
    `INSERT INTO token_ledger (id, user_id, period, kind, amount, note, created_at)
     VALUES ('tle_' || md5($1), $1, $2, 'grant', 100, 'test', now())`,
    [user.id, period],
  );
}

/** Polls `done` between turns of the event loop until it holds (a broken setup throws, not a timing assertion). */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SUBMISSION_BATCHING (the call combiner of submissions)', () => {
  const PRODUCERS = 6;

  /**
   * The test holds the request's row lock, fires one submission from each producer at once, and
   * releases the lock once every one of them has read its context (and so reached the call of
   * submission_try). Resolves with the size of each call's batch.
   */
  async function submitWhileLocked(
    env: Record<string, string>,
  ): Promise<{ batches: number[]; waiting: number }> {
    const t = await startTestApp(env);
    try {
      const owner = await registerUser(t);
      const producers = await Promise.all(Array.from({ length: PRODUCERS }, () => registerUser(t)));
      const tracks = await Promise.all(producers.map((p) => readyTrack(t, p)));
      const requestId = await newRequest(t, owner);

      const repo = t.app.get(BeatRequestsRepository);
      const readContext = repo.submissionContext.bind(repo);
      let contexts = 0;
      jest.spyOn(repo, 'submissionContext').mockImplementation(async (...args) => {
        const context = await readContext(...args);
        contexts++;
        return context;
      });
      const tries = jest.spyOn(repo, 'trySubmit');

      const holder = await connect(t.databaseUrl);
      let waiting = 0;
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM beat_requests WHERE id = $1 FOR UPDATE', [requestId]);
        const answers = producers.map((p, i) =>
          t.http
            .post(`/api/v1/beat-requests/${requestId}/submissions`)
            .set(p.auth)
            .send({ track_id: tracks[i] })
            .then((r) => r),
        );
        await until(() => contexts === PRODUCERS, `${PRODUCERS} submissions read their context`);
        // the calls made so far wait for the lock inside submission_try
        waiting = tries.mock.calls.length;
        await lockWaiters(t.databaseUrl, {
          count: waiting,
          blockedBy: await backendPid(holder),
          statement: 'SELECT request_found',
        });
        await holder.query('COMMIT');
        expect((await Promise.all(answers)).map((r) => r.status)).toEqual(producers.map(() => 201));
      } finally {
        await holder.end();
      }
      const [{ n }] = await dbQuery<{ n: number }>(
        t,
        'SELECT count(*)::int AS n FROM submissions WHERE request_id = $1',
        [requestId],
      );
      expect(n).toBe(PRODUCERS);
      return { batches: tries.mock.calls.map((c) => c[2].length), waiting };
    } finally {
      jest.restoreAllMocks();
      await t.close();
    }
  }

  it('off (0): each submission calls submission_try alone, every call waiting for the lock', async () => {
    const { batches, waiting } = await submitWhileLocked({ SUBMISSION_BATCHING: '0' });
    expect(waiting).toBe(PRODUCERS);
    expect(batches).toEqual(Array.from({ length: PRODUCERS }, () => 1));
  });

  it('on (the default): the submissions that arrive while a call runs go together in the next one', async () => {
    const { batches, waiting } = await submitWhileLocked({});
    expect(waiting).toBe(1);
    expect(batches).toEqual([1, PRODUCERS - 1]);
  });
});

/** A raw server of bench/ in its own process, every statement it sends recorded. */
class RawServer {
  private child?: ChildProcess;
  private log = '';
  http!: ReturnType<typeof request>;
  readonly file: string;

  constructor(
    private readonly script: string,
    private readonly dir: string,
  ) {
    this.file = join(dir, `${script.replace(/\W/g, '_')}.jsonl`);
  }

  async start(databaseUrl: string, appBuild: string, env: Record<string, string> = {}): Promise<void> {
    clearStatements(this.file);
    const port = await freePort();
    this.child = spawn(
      process.execPath,
      ['--import', join(ROOT, 'test', 'support', 'pg-recorder.mjs'), join(ROOT, 'bench', this.script)],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          JWT_SECRET: TEST_JWT_SECRET,
          PORT: String(port),
          BENCH_APP_DIST: appBuild,
          PG_RECORD_FILE: this.file,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.http = request(`http://127.0.0.1:${port}`);
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`${this.script} exited:\n${this.log}`);
      try {
        await this.http.get('/health').expect(200);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** The statements of `call` (on this server). */
  async statementsOf(call: () => Promise<unknown>): Promise<string[]> {
    clearStatements(this.file);
    await call();
    return ownStatements(childStatements(this.file));
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/**
 * The statements of the server's own pool, in order. The maintenance switch is left out: both
 * sides read it at most once a second, so whether one request reads it depends on the clock.
 */
const ownStatements = (sent: SentStatement[]): string[] =>
  sent
    .filter((s) => s.app === null && s.how !== 'prepared maintenance_read')
    .map((s) => `${s.how}: ${s.text}`);

/** The statements the app (in this process) sends for `call`. */
async function appStatementsOf(call: () => Promise<unknown>): Promise<string[]> {
  const recording = recordStatements();
  let sent: SentStatement[] = [];
  try {
    await call();
  } finally {
    sent = recording.stop();
  }
  return ownStatements(sent);
}

describe('the raw baselines of bench/ send the app’s statements', () => {
  let t: TestApp;
  let dir: string;
  let requests: RawServer;
  let playlists: RawServer;

  beforeAll(async () => {
    t = await startTestApp();
    const { dir: build } = await buildCurrentSource();
    dir = mkdtempSync(join(tmpdir(), 'beat-raw-baselines-'));
    requests = new RawServer('requests-raw.mjs', dir);
    playlists = new RawServer('playlists-raw.mjs', dir);
    // both settled before a failure is thrown, so afterAll stops a server that did start
    const started = await Promise.allSettled([
      requests.start(t.databaseUrl, build),
      playlists.start(t.databaseUrl, build),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  }, 120_000);

  afterAll(async () => {
    await requests?.stop();
    await playlists?.stop();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a token debit (POST /beat-requests): the session, then one prepared statement', async () => {
    const user = await registerUser(t);
    await fund(t, user);
    const app = await appStatementsOf(() =>
      t.http.post('/api/v1/beat-requests').set(user.auth).send(REQUEST).expect(201),
    );
    const raw = await requests.statementsOf(() =>
      requests.http.post('/beat-requests').set(user.auth).send(REQUEST).expect(201),
    );
    expect(app.map((s) => s.split(':')[0])).toEqual([
      'prepared session_principal',
      'prepared beat_request_create_paid',
    ]);
    expect(raw).toEqual(app);
  });

  it('a submission, and one refused as similar audio (the call again in a transaction)', async () => {
    const owner = await registerUser(t);
    const producer = await registerUser(t);
    const copier = await registerUser(t);
    await fund(t, owner);
    const fingerprint = randomFingerprint();
    const original = await readyTrack(t, producer, fingerprint);
    const copy = await readyTrack(t, copier, fingerprint);
    // each side submits to a request of its own, in the same state
    const [appRequest, rawRequest] = [await newRequest(t, owner), await newRequest(t, owner)];
    const submit = (
      http: ReturnType<typeof request>,
      path: string,
      u: TestUser,
      track: string,
      status: number,
    ) => http.post(path).set(u.auth).send({ track_id: track }).expect(status);

    const app = await appStatementsOf(() =>
      submit(t.http, `/api/v1/beat-requests/${appRequest}/submissions`, producer, original, 201),
    );
    const raw = await requests.statementsOf(() =>
      submit(requests.http, `/beat-requests/${rawRequest}/submissions`, producer, original, 201),
    );
    expect(app.map((s) => s.split(':')[0])).toEqual([
      'prepared session_principal',
      'prepared submission_context',
      'prepared submission_try',
    ]);
    expect(raw).toEqual(app);

    const appCopy = await appStatementsOf(() =>
      submit(t.http, `/api/v1/beat-requests/${appRequest}/submissions`, copier, copy, 409),
    );
    const rawCopy = await requests.statementsOf(() =>
      submit(requests.http, `/beat-requests/${rawRequest}/submissions`, copier, copy, 409),
    );
    expect(appCopy.map((s) => s.split(':')[0])).toEqual([
      'prepared session_principal',
      'prepared submission_context',
      'prepared submission_try',
      'unnamed',
      'simple',
      'prepared submission_try',
      'simple',
    ]);
    expect(rawCopy).toEqual(appCopy);
  });

  it('add a track, move it, read the playlist', async () => {
    const owner = await registerUser(t);
    const tracks = [await readyTrack(t, owner), await readyTrack(t, owner)];
    const newPlaylist = async () =>
      (
        (
          await t.http
            .post('/api/v1/playlists')
            .set(owner.auth)
            .send({ name: 'Bench', visibility: 'public' })
            .expect(201)
        ).body as { id: string }
      ).id;
    const [appList, rawList] = [await newPlaylist(), await newPlaylist()];
    const sides = [
      { http: t.http, prefix: '/api/v1', list: appList, record: appStatementsOf },
      {
        http: playlists.http,
        prefix: '',
        list: rawList,
        record: (c: () => Promise<unknown>) => playlists.statementsOf(c),
      },
    ];
    const seen: Record<string, string[][]> = { add: [], move: [], read: [] };
    for (const s of sides) {
      await s.http
        .post(`${s.prefix}/playlists/${s.list}/tracks`)
        .set(owner.auth)
        .send({ track_id: tracks[0] })
        .expect(201);
      seen.add.push(
        await s.record(() =>
          s.http
            .post(`${s.prefix}/playlists/${s.list}/tracks`)
            .set(owner.auth)
            .send({ track_id: tracks[1] })
            .expect(201),
        ),
      );
      seen.move.push(
        await s.record(() =>
          s.http
            .post(`${s.prefix}/playlists/${s.list}/tracks/move`)
            .set(owner.auth)
            .send({ track_id: tracks[1], before_track_id: tracks[0] })
            .expect(200),
        ),
      );
      // the playlist and its entries are read at once: their order on the wire is either
      seen.read.push(
        (
          await s.record(() => s.http.get(`${s.prefix}/playlists/${s.list}`).set(owner.auth).expect(200))
        ).sort(),
      );
    }
    expect(seen.add[0].map((s) => s.split(':')[0])).toEqual([
      'prepared session_principal',
      'simple',
      'prepared playlist_lock',
      'prepared playlist_add_state',
      'prepared playlist_append_track',
      'simple',
    ]);
    expect(seen.move[0].map((s) => s.split(':')[0])).toEqual([
      'prepared session_principal',
      'prepared playlist_find',
      'prepared playlist_move_context',
      'prepared playlist_move',
    ]);
    expect(seen.read[0].map((s) => s.split(':')[0]).sort()).toEqual([
      'prepared playlist_entries',
      'prepared playlist_find',
      'prepared session_principal',
    ]);
    expect(seen.add[1]).toEqual(seen.add[0]);
    expect(seen.move[1]).toEqual(seen.move[0]);
    expect(seen.read[1]).toEqual(seen.read[0]);
  });
});
