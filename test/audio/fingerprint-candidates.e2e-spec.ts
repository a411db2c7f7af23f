import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FingerprintRepository } from '../../src/modules/audio/fingerprint.repository';
import { Database } from '../../src/platform/database/database';
import { dbQuery } from '../support/social';
import { sourceFiles } from '../support/source-files';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The fingerprint candidate rule lives in one place, the SQL function `fingerprint_candidates`
 * (migration 20261207093000_fingerprint_candidates): a fingerprint is a candidate for a probe when
 * it shares at least two index keys with it, and candidates rank by how many they share. The
 * index lookups of the audio module and both searches of `submission_try` read it
 * (test/beat-requests/submissions checks the latter).
 */
describe('fingerprint candidates: the rule, once, in SQL', () => {
  let t: TestApp;
  const PROBE = [10, 20, 30, 40, 50];
  // each track's index keys, and how many it shares with PROBE
  const TRACKS: { id: string; hashes: number[]; shared: number }[] = [
    { id: 'trk_fpc_a_0000000000000000000', hashes: [1, 2, 3], shared: 0 },
    { id: 'trk_fpc_b_0000000000000000000', hashes: [10, 99], shared: 1 },
    { id: 'trk_fpc_c_0000000000000000000', hashes: [10, 20, 77], shared: 2 },
    { id: 'trk_fpc_d_0000000000000000000', hashes: [10, 20, 30], shared: 3 },
    { id: 'trk_fpc_e_0000000000000000000', hashes: [10, 20, 30, 40, 50, 60], shared: 5 },
    { id: 'trk_fpc_f_0000000000000000000', hashes: [40, 50], shared: 2 },
  ];
  const fingerprintOf = (id: string) => [id.charCodeAt(8), 7, 7];

  beforeAll(async () => {
    t = await startTestApp();
    const now = new Date();
    await dbQuery(
      t,
      `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
       VALUES ('usr_fpc_000000000000000000000', 'fpc@example.test', 'x', 'Someone', $1, $1)`,
      [now],
    );
    await dbQuery(
      t,
      `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('fpc', 1, 'wav', $1)`,
      [now],
    );
    for (const track of TRACKS) {
      await dbQuery(
        t,
        `INSERT INTO tracks (id, owner_id, title, bpm, genre, source, processing_status, audio_sha256, created_at, updated_at)
         VALUES ($1, 'usr_fpc_000000000000000000000', 'T', 100, 'trap', 'upload', 'ready', 'fpc', $2, $2)`,
        [track.id, now],
      );
      await dbQuery(
        t,
        `INSERT INTO track_fingerprints (track_id, fingerprint, hashes, duration_ms, created_at)
         VALUES ($1, $2::int4[], $3::int4[], 1000, $4)`,
        [track.id, fingerprintOf(track.id), track.hashes, now],
      );
    }
  });
  afterAll(() => t?.close());

  /** The rule, by hand: at least two shared keys, most shared first, then by id. */
  const expected = (exclude: string[] = [], limit = 50) =>
    TRACKS.filter((x) => x.shared >= 2 && !exclude.includes(x.id))
      .sort((x, y) => y.shared - x.shared || (x.id < y.id ? -1 : 1))
      .slice(0, limit);

  it('finds the fingerprints that share at least two keys with the probe, with how many they share', async () => {
    const rows = await dbQuery<{ track_id: string; shared_keys: number; fingerprint: number[] }>(
      t,
      `SELECT track_id, shared_keys, fingerprint FROM fingerprint_candidates($1::int4[])
       ORDER BY shared_keys DESC, track_id`,
      [PROBE],
    );
    expect(rows).toEqual(
      expected().map((x) => ({ track_id: x.id, shared_keys: x.shared, fingerprint: fingerprintOf(x.id) })),
    );
    expect(rows.map((r) => r.shared_keys)).toEqual([5, 3, 2, 2]);
    // nothing for a probe without keys, or one that shares a single key with everything
    expect(await dbQuery(t, `SELECT 1 FROM fingerprint_candidates('{}'::int4[])`)).toEqual([]);
    expect(await dbQuery(t, `SELECT 1 FROM fingerprint_candidates('{10, 1000}'::int4[])`)).toEqual([]);
  });

  it('is the rule of the audio module’s lookups, on the pool and in a transaction', async () => {
    const repo = t.app.get(FingerprintRepository);
    const asCandidates = (xs: typeof TRACKS) =>
      xs.map((x) => ({ trackId: x.id, fingerprint: fingerprintOf(x.id) }));
    expect(await repo.candidates(PROBE, { exclude: [], limit: 50 })).toEqual(asCandidates(expected()));
    const exclude = [TRACKS[4].id];
    expect(await repo.candidates(PROBE, { exclude, limit: 2 })).toEqual(asCandidates(expected(exclude, 2)));
    const inTx = await t.app
      .get(Database)
      .transaction((tx) => repo.candidates(PROBE, { exclude: [], limit: 3 }, tx));
    expect(inTx).toEqual(asCandidates(expected([], 3)));
  });

  it('is written nowhere else in src/', () => {
    const files = sourceFiles(join(__dirname, '..', '..', 'src'));
    const spelled = files.filter((f) => /icount\(|hashes\s*&&/.test(readFileSync(f, 'utf8')));
    expect(spelled).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });
});
