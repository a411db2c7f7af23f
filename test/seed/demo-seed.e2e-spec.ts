import { Client } from 'pg';
import { ACCOUNTS, SUBMISSIONS, TRACKS } from '../../src/seed/demo-data';
import { DemoSeeder } from '../../src/seed/demo-seeder';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { login, loginAdmin } from '../support/users';

/** Every table of the application, as (rows, hash of its content). */
async function snapshot(databaseUrl: string): Promise<Record<string, string>> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const tables = await c.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const out: Record<string, string> = {};
    for (const { name } of tables.rows) {
      const r = await c.query<{ n: number; h: string }>(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${name}" t`,
      );
      out[name] = `${r.rows[0].n}:${r.rows[0].h}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

describe('demo data (npm run seed)', () => {
  let t: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('builds a believable small platform through the API, and a second run changes nothing', async () => {
    const first = await new DemoSeeder(t.app, (l) => lines.push(l)).run();
    expect(first.created).toBeGreaterThan(30);
    expect(lines.some((l) => l.startsWith('[9/9]'))).toBe(true);

    const before = await snapshot(t.databaseUrl);
    const second = await new DemoSeeder(t.app, () => undefined).run();
    expect(second.created).toBe(0);
    expect(await snapshot(t.databaseUrl)).toEqual(before);

    const admin = await loginAdmin(t);
    const seededAdmin = await login(t, 'admin@demo.local', first.accounts[0].password);
    await t.http.get('/api/v1/admin/maintenance').set(seededAdmin.auth).expect(200);

    // the suspended user, found as the console finds them, with the trail of what happened
    const suspended = await t.http
      .get('/api/v1/admin/users?status=suspended&q=rex@demo.local')
      .set(admin.auth)
      .expect(200);
    expect(suspended.body.data).toHaveLength(1);
    const rex = suspended.body.data[0];
    expect(rex.permissions).toEqual([]);
    const trail = await t.http.get(`/api/v1/admin/audit-log?target_id=${rex.id}`).set(admin.auth).expect(200);
    expect(trail.body.data.map((e: { action: string }) => e.action)).toEqual([
      'user.suspend',
      'user.permissions',
    ]);

    // producers with artists and processed, fingerprinted tracks on offer
    const tracks = await t.http.get('/api/v1/tracks?limit=100').set(admin.auth).expect(200);
    const demo = tracks.body.data.filter((x: { title: string }) => TRACKS.some((d) => d.title === x.title));
    expect(demo).toHaveLength(TRACKS.length);
    for (const track of demo) expect(track.processing_status).toBe('ready');
    const novaArtist = await t.http.get('/api/v1/artists/nova-beats').expect(200);
    expect(novaArtist.body.verified).toBe(true);

    // the sold lease: a real license, found by the admin console's lookup
    const lena = await login(t, 'lena@demo.local', first.accounts[0].password);
    const licenses = await t.http.get('/api/v1/licenses').set(lena.auth).expect(200);
    expect(licenses.body.data).toHaveLength(1);
    const license = await t.http
      .get(`/api/v1/admin/licenses/${licenses.body.data[0].id}`)
      .set(admin.auth)
      .expect(200);
    expect(license.body).toMatchObject({ type: 'basic', status: 'active', track_title: 'Midnight Drive' });
    expectError(
      await t.http.get('/api/v1/admin/licenses/lic_01m7zzzzzzzzzzzzzzzzzzzzzz').set(admin.auth),
      404,
      'license_not_found',
    );

    // the open request and its submissions; the backstage queue
    const jay = await login(t, 'jay@demo.local', first.accounts[0].password);
    const requests = await t.http.get('/api/v1/beat-requests?mine=true').set(jay.auth).expect(200);
    expect(requests.body.data).toHaveLength(1);
    expect(requests.body.data[0].status).toBe('active');
    const subs = await t.http
      .get(`/api/v1/beat-requests/${requests.body.data[0].id}/submissions`)
      .set(jay.auth)
      .expect(200);
    expect(subs.body.data).toHaveLength(SUBMISSIONS.length);
    const pending = await t.http
      .get('/api/v1/admin/backstage/requests?status=pending')
      .set(admin.auth)
      .expect(200);
    expect(pending.body.data).toHaveLength(2);

    // a collaborative playlist: the owner's tracks and the editor's
    const nova = await login(t, 'nova@demo.local', first.accounts[0].password);
    const playlists = await t.http.get('/api/v1/me/playlists').set(nova.auth).expect(200);
    expect(playlists.body.data).toHaveLength(1);
    const playlist = await t.http
      .get(`/api/v1/playlists/${playlists.body.data[0].id}`)
      .set(nova.auth)
      .expect(200);
    expect(playlist.body.track_count).toBe(4);
    const kilo = await login(t, 'kilo@demo.local', first.accounts[0].password);
    const kilosPlaylists = await t.http.get('/api/v1/me/playlists').set(kilo.auth).expect(200);
    expect(kilosPlaylists.body.data.map((p: { id: string }) => p.id)).toEqual([playlists.body.data[0].id]);

    expect(first.accounts.map((a) => a.email)).toEqual(ACCOUNTS.map((a) => a.email));
  });
});
