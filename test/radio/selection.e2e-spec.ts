import fc from 'fast-check';
import { Client } from 'pg';
import { keyCode, ruleMatches, trackRule, type StationRule } from '../../src/modules/radio/seed-rules';
import { startTestApp, type TestApp } from '../support/test-app';
import { expectError } from '../support/expect-error';
import { registerUser, type TestUser } from '../support/users';
import { insertArtist, insertOwners, insertTracks, type SeedTrack } from './radio-catalog';

const API = '/api/v1';
const GENRES = ['trap', 'drill', 'house', 'polka'];
const KEYS = [null, 'Am', 'C', 'Em', 'G', 'F#m', 'Dbm', 'C#m', '8A', '9B', 'junk'];
const NEXTS = 45;

interface Played {
  id: string;
}

/**
 * Property: over generated catalogues, every track a station plays matches the station's rule
 * (computed here by the pure functions, independently of the SQL), none is unplayable, and none
 * repeats within 20 when the pool has more than 20 tracks.
 */
describe('radio selection over generated catalogues', () => {
  let t: TestApp;
  let db: Client;
  let listener: TestUser;
  let owners: string[];
  let artists: string[];

  beforeAll(async () => {
    t = await startTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    listener = await registerUser(t);
    // unlimited skips: every run also skips (the skip draws inside its transaction)
    await db.query(`UPDATE users SET plan_id = 'pro' WHERE id = $1`, [listener.id]);
    owners = await insertOwners(db, 4);
    artists = [];
    for (const [i, o] of owners.entries()) artists.push(await insertArtist(db, o, `Artist ${i}`));
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('the SQL key function is the twin of keyCode', async () => {
    const key = fc
      .array(fc.constantFrom(...'abcdefgABCDEFGh#b♯♭mMinajor 0123456789'.split('')), { maxLength: 8 })
      .map((cs) => cs.join(''));
    const samples = fc.sample(key, 3000);
    const { rows } = await db.query<{ k: string; code: number | null }>(
      'SELECT k, radio_key_code(k) AS code FROM unnest($1::text[]) k',
      [samples],
    );
    for (const r of rows) expect([r.k, r.code]).toEqual([r.k, keyCode(r.k)]);
    expect(rows.filter((r) => r.code !== null).length).toBeGreaterThan(100);
  });

  const trackArb = fc.record({
    owner: fc.integer({ min: 0, max: 3 }),
    genre: fc.constantFrom(...GENRES),
    bpm: fc.oneof(fc.constantFrom(70, 140, 128, 132, 100), fc.integer({ min: 50, max: 200 })),
    key: fc.constantFrom(...KEYS),
    status: fc.constantFrom<SeedTrack['status']>('ready', 'ready', 'ready', 'ready', 'pending', 'failed'),
    external: fc.boolean().map((b) => b && Math.random() < 0.1),
  });

  it('plays only tracks of the seed’s rule, never unplayable ones, no repeat within 20', async () => {
    const coverage = {
      genre: { small: 0, large: 0 },
      artist: { small: 0, large: 0 },
      track: { small: 0, large: 0 },
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 150 }).chain((n) => fc.array(trackArb, { minLength: n, maxLength: n })),
        fc.constantFrom<'genre' | 'artist' | 'track'>('genre', 'artist', 'track'),
        fc.nat(),
        async (catalogue, type, pickSeed) => {
          await db.query('DELETE FROM radio_sessions WHERE user_id = $1', [listener.id]);
          await db.query('DELETE FROM tracks WHERE owner_id = ANY($1)', [owners]);
          const seeded = catalogue.map(
            (c): SeedTrack => ({
              ownerId: owners[c.owner],
              artistId: artists[c.owner],
              genre: c.genre,
              bpm: c.bpm,
              key: c.key,
              source: c.external ? 'external' : 'upload',
              status: c.external ? null : c.status,
            }),
          );
          const ids = await insertTracks(db, seeded);
          const rows = seeded.map((s, i) => ({
            id: ids[i],
            genre: s.genre,
            artistId: s.artistId ?? null,
            bpm: s.bpm,
            musicalKey: s.key ?? null,
            playable: s.source === 'upload' && s.status === 'ready',
          }));
          const playable = rows.filter((r) => r.playable);

          let station: string;
          let rule: StationRule;
          if (type === 'genre') {
            const genre = GENRES[pickSeed % GENRES.length];
            station = `genre:${genre}`;
            rule = { genres: [genre] };
          } else if (type === 'artist') {
            const a = pickSeed % artists.length;
            station = `artist:${artists[a]}`;
            const described = await t.http.get(`${API}/radio/stations/${station}`);
            if (described.status === 200) {
              const close: string[] = described.body.rule.artist_ids;
              expect(close[0]).toBe(artists[a]);
              // close artists share one of the seed artist's genres
              const seedGenres = new Set(
                playable.filter((r) => r.artistId === artists[a]).map((r) => r.genre),
              );
              for (const other of close.slice(1))
                expect(playable.some((r) => r.artistId === other && seedGenres.has(r.genre))).toBe(true);
              rule = { artists: close };
            } else rule = { artists: [artists[a]] };
          } else {
            if (!rows.length) return;
            const seed = rows[pickSeed % rows.length];
            station = `track:${seed.id}`;
            rule = seed.playable ? trackRule(seed) : { genres: [] };
          }

          const pool = new Set(playable.filter((r) => ruleMatches(rule, r)).map((r) => r.id));
          const started = await t.http
            .post(`${API}/radio/sessions`)
            .set(listener.auth)
            .send({ station_id: station, device_id: 'property' });
          if (!pool.size) {
            expectError(started, 404, 'station_not_found');
            return;
          }
          expect(started.status).toBe(201);
          coverage[type][pool.size > 20 ? 'large' : 'small']++;
          const played: string[] = [(started.body.track as Played).id];
          for (let i = 0; i < NEXTS; i++) {
            const res = await t.http
              .post(`${API}/radio/sessions/${started.body.session_id}/${i % 5 === 4 ? 'skip' : 'next'}`)
              .set(listener.auth)
              .send({});
            expect(res.status).toBe(200);
            played.push((res.body.track as Played).id);
          }
          for (const id of played) expect(pool.has(id)).toBe(true);
          for (let i = 1; i < played.length; i++) {
            const window = played.slice(Math.max(0, i - 20), i);
            if (pool.size > 20) expect(window).not.toContain(played[i]);
            else if (pool.size > 1) expect(played[i - 1]).not.toBe(played[i]);
          }
        },
      ),
      { numRuns: 24 },
    );
    // the runs exercised every kind of station, with pools above and below 20 tracks
    expect(coverage.genre.large + coverage.artist.large).toBeGreaterThan(0);
    expect(coverage.track.small + coverage.track.large).toBeGreaterThan(0);
  });
});
