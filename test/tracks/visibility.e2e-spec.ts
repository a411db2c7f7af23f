import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import type { Principal } from '../../src/platform/access/principal';
import { trackAccess } from '../../src/modules/tracks/track-access';
import { entrySummaryColumns, readerSees } from '../../src/modules/tracks/track-summary';
import {
  readerValues,
  trackPlayableSql,
  trackVisibleSql,
  type TrackVisibilityFacts,
} from '../../src/modules/tracks/track-visibility';
import { sourceFiles } from '../support/source-files';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

/**
 * "Who may see this track" is one rule in two forms (src/modules/tracks/track-visibility.ts): SQL
 * for the statements that list tracks, TypeScript (trackAccess) for one row in hand. Here both
 * answer every combination of a track's source and processing status, the reader's relation to
 * it (owner, credited collaborator, both, none, nobody signed in) and the reader's role, and must
 * agree; and no other file of src/modules spells the rule out again.
 */
describe('track visibility: the SQL predicate and trackAccess agree', () => {
  let db: TestDatabase;
  let client: Client;

  const OWNER = 'usr_vis_owner_000000000000000';
  const CO = 'usr_vis_co_00000000000000000000';
  const STRANGER = 'usr_vis_stranger_000000000000';
  const KINDS = [
    { source: 'upload', status: 'pending' },
    { source: 'upload', status: 'processing' },
    { source: 'upload', status: 'ready' },
    { source: 'upload', status: 'failed' },
    { source: 'external', status: null },
  ] as const;

  interface Row extends TrackVisibilityFacts {
    id: string;
  }
  let tracks: Row[];

  const principal = (userId: string, role: Principal['role']): Principal => ({
    userId,
    role,
    status: 'active',
    via: 'session',
    scopes: null,
  });
  // every reader: nobody, and each relation (owner, collaborator, none) as a user and as an admin
  const READERS: { name: string; who: Principal | undefined }[] = [
    { name: 'nobody signed in', who: undefined },
    ...(['user', 'admin'] as const).flatMap((role) => [
      { name: `owner (${role})`, who: principal(OWNER, role) },
      { name: `collaborator (${role})`, who: principal(CO, role) },
      { name: `stranger (${role})`, who: principal(STRANGER, role) },
    ]),
  ];

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    const now = new Date();
    for (const id of [OWNER, CO, STRANGER]) {
      await client.query(
        `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
         VALUES ($1, $2, 'x', 'Someone', $3, $3)`,
        [id, `${id}@example.test`, now],
      );
    }
    await client.query(
      `INSERT INTO audio_files (sha256, size_bytes, format, created_at) VALUES ('vis', 1, 'mp3', $1)`,
      [now],
    );
    // each kind of track three times: no credits, credited to CO, and credited to its owner too
    tracks = [];
    let n = 0;
    for (const kind of KINDS) {
      for (const credits of [[], [CO], [OWNER, CO]]) {
        const id = `trk_vis_${String(++n).padStart(22, '0')}`;
        await client.query(
          `INSERT INTO tracks (id, owner_id, title, bpm, genre, source, processing_status, audio_sha256,
                               external_url, created_at, updated_at)
           VALUES ($1, $2, 'T', 100, 'trap', $3::track_source, $4::processing_status, $5, $6, $7, $7)`,
          [
            id,
            OWNER,
            kind.source,
            kind.status,
            kind.source === 'upload' ? 'vis' : null,
            kind.source === 'external' ? 'https://example.test/x' : null,
            now,
          ],
        );
        for (const userId of credits) {
          await client.query(
            `INSERT INTO track_collaborators (track_id, user_id, role, split_percent, created_at)
             VALUES ($1, $2, 'producer', 50, $3)`,
            [id, userId, now],
          );
        }
        tracks.push({
          id,
          ownerId: OWNER,
          source: kind.source,
          processingStatus: kind.status,
          collaborators: credits.map((userId) => ({ userId })),
        });
      }
    }
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('answers alike for every track and reader, as a column of a list and for one row', async () => {
    const reader = { user: '$1', admin: '$2' } as const;
    let compared = 0;
    for (const { name, who } of READERS) {
      const { rows } = await client.query<{ id: string; visible: boolean | null }>(
        `SELECT t.id, ${trackVisibleSql('t', reader)} AS visible FROM tracks t ORDER BY t.id`,
        readerValues(who),
      );
      expect(rows.map((r) => r.id)).toEqual(tracks.map((t) => t.id));
      for (const [i, track] of tracks.entries()) {
        const expected = trackAccess.can(who, 'see', track);
        expect({ reader: name, track, visible: rows[i].visible }).toEqual({
          reader: name,
          track,
          visible: expected,
        });
        compared++;
      }
    }
    expect(compared).toBe(READERS.length * KINDS.length * 3);
    // what the tracks' rule says, spelled out for the cases that matter most
    const see = (who: Principal | undefined, status: string | null, credits: number) =>
      trackAccess.can(
        who,
        'see',
        tracks.find((t) => t.processingStatus === status && t.collaborators.length === credits)!,
      );
    expect(see(undefined, 'ready', 0)).toBe(true);
    expect(see(undefined, null, 0)).toBe(true);
    expect(see(undefined, 'processing', 1)).toBe(false);
    expect(see(principal(STRANGER, 'user'), 'failed', 1)).toBe(false);
    expect(see(principal(CO, 'user'), 'failed', 1)).toBe(true);
    expect(see(principal(CO, 'user'), 'failed', 0)).toBe(false);
    expect(see(principal(STRANGER, 'admin'), 'pending', 0)).toBe(true);
  });

  it('answers the same through the entries summary columns (library and playlists)', async () => {
    for (const { name, who } of READERS) {
      const { rows } = await client.query<{ id: string; visible: boolean | null }>(
        `SELECT ${entrySummaryColumns({ user: '$1', admin: '$2' })}
         FROM tracks t LEFT JOIN artists a ON a.id = t.artist_id ORDER BY t.id`,
        readerValues(who),
      );
      expect({ reader: name, seen: rows.filter(readerSees).map((r) => r.id) }).toEqual({
        reader: name,
        seen: tracks.filter((t) => trackAccess.can(who, 'see', t)).map((t) => t.id),
      });
    }
  });

  it('filters a list to what anyone may see without a reader (the catalogue, the feed)', async () => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT t.id FROM tracks t WHERE ${trackVisibleSql('t')} ORDER BY t.id`,
    );
    const anyone = tracks.filter((t) => trackAccess.can(undefined, 'see', t)).map((t) => t.id);
    expect(rows.map((r) => r.id)).toEqual(anyone);
    // ready uploads and external links, each three times
    expect(anyone).toHaveLength(2 * 3);
    // the radio plays the hosted ones among them
    const playable = await client.query<{ id: string }>(
      `SELECT t.id FROM tracks t WHERE ${trackPlayableSql('t')} ORDER BY t.id`,
    );
    expect(playable.rows.map((r) => r.id)).toEqual(
      tracks.filter((t) => t.source === 'upload' && anyone.includes(t.id)).map((t) => t.id),
    );
  });

  it('is written once: no other file of src/modules spells the rule, and none casts through unknown', () => {
    const root = join(__dirname, '..', '..', 'src', 'modules');
    const files = sourceFiles(root);
    const spelled = /source\s*=\s*'(external|upload)'|processing_status\s*=\s*'ready'|as unknown as/;
    const offenders = files
      .filter((f) => !f.endsWith(join('tracks', 'track-visibility.ts')))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ at: `${relative(root, f)}:${i + 1}`, line: line.trim() }))
          .filter((l) => spelled.test(l.line)),
      );
    expect(offenders).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });
});
