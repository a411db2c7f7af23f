import { buy, startCommerceApp, trackForSale, type CommerceApp } from '../support/commerce';
import { expectError } from '../support/expect-error';
import type { TestApp } from '../support/test-app';
import { loginAdmin, registerUser, type TestUser } from '../support/users';

const API = '/api/v1';

const SHEET = {
  composition: [
    { name: 'Ada Writer', role: 'writer', pro: 'ASCAP', ipi: '123456789', share_bps: 5000 },
    { name: 'Ben Composer', role: 'composer', share_bps: 3000 },
    { name: 'Pub Co', role: 'publisher', pro: 'BMI', ipi: '12345678901', share_bps: 2000 },
  ],
  master: [
    { name: 'Producer Ltd', share_bps: 7000 },
    { name: 'Label', share_bps: 3000 },
  ],
};

/** Split sheets (issue 24): the structural rules, If-Match, who reads them, the license's frozen copy. */
describe('split sheets', () => {
  let c: CommerceApp;
  let t: TestApp;
  let producer: TestUser;
  let track: { id: string };

  const put = (user: TestUser, id: string, body: object, ifMatch?: string) => {
    const req = t.http.put(`${API}/tracks/${id}/split-sheet`).set(user.auth);
    return (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send(body);
  };

  beforeAll(async () => {
    c = await startCommerceApp({ JOBS_AUTORUN: '0' });
    t = c.t;
    ({ producer, track } = await trackForSale(t, 4242));
  });

  afterAll(async () => {
    await c?.close();
  });

  it('every structural problem is named (split_sheet_structural_validation_failed)', async () => {
    const res = await put(producer, track.id, {
      composition: [
        { name: 'Ada', role: 'singer', share_bps: 5000 },
        { name: 'Ben', role: 'writer', ipi: '12ab', share_bps: 3000 },
        { name: ' ada ', role: 'writer', share_bps: 1000 },
        { name: 'ADA', role: 'writer', share_bps: 500 },
      ],
      master: [
        { name: 'Owner', share_bps: 6000 },
        { name: 'owner', share_bps: 3000 },
      ],
    });
    expectError(res, 422, 'split_sheet_structural_validation_failed');
    expect(res.body.errors).toEqual({
      composition: ['shares total 9500 basis points, not 10000'],
      'composition[0].role': ['unknown role "singer": writer, composer or publisher'],
      'composition[1].ipi': ['an IPI is 9 to 11 digits'],
      'composition[3].name': ['duplicate party: the same writer as composition[2]'],
      master: ['shares total 9000 basis points, not 10000'],
      'master[1].name': ['duplicate party: the same as master[0]'],
    });
    // nothing was written
    expect(
      (await t.http.get(`${API}/tracks/${track.id}/split-sheet`).set(producer.auth).expect(200)).body,
    ).toMatchObject({
      version: 0,
      composition: [],
      master: [],
    });
  });

  it('the owner writes it with If-Match (stale_version); anyone else is refused', async () => {
    const first = await put(producer, track.id, SHEET, '"0"').expect(200);
    expect(first.body).toMatchObject({ track_id: track.id, version: 1 });
    expect(first.headers.etag).toBe('"1"');
    expect(first.body.composition[1]).toEqual({
      name: 'Ben Composer',
      role: 'composer',
      pro: null,
      ipi: null,
      share_bps: 3000,
    });
    expectError(await put(producer, track.id, SHEET, '"0"'), 409, 'stale_version');
    await put(producer, track.id, SHEET, '"1"').expect(200);
    expectError(await put(producer, track.id, SHEET, '"1"'), 409, 'stale_version');

    const stranger = await registerUser(t);
    expectError(await put(stranger, track.id, SHEET), 403, 'forbidden');
    expectError(await put(stranger, 'trk_00000000000000000000000000', SHEET), 404, 'track_not_found');
  });

  it('10 parallel PUTs with the same If-Match: exactly one wins', async () => {
    const current = (await t.http.get(`${API}/tracks/${track.id}/split-sheet`).set(producer.auth).expect(200))
      .body;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => put(producer, track.id, SHEET, `"${current.version}"`)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'stale_version');
    const { rows } = await c.db.query(`SELECT version FROM split_sheets WHERE track_id = $1`, [track.id]);
    expect(rows[0].version).toBe(current.version + 1);
  });

  it('read by the owner, credited collaborators and license holders; others forbidden; the license freezes it', async () => {
    const collaborator = await registerUser(t);
    const fan = await registerUser(t);
    const buyer = await registerUser(t);
    await t.http
      .put(`${API}/tracks/${track.id}/collaborators`)
      .set(producer.auth)
      .send({ collaborators: [{ user_id: collaborator.id, role: 'co_producer', split_percent: 100 }] })
      .expect(200);
    await t.http.get(`${API}/tracks/${track.id}/split-sheet`).set(collaborator.auth).expect(200);
    expectError(await t.http.get(`${API}/tracks/${track.id}/split-sheet`).set(fan.auth), 403, 'forbidden');
    expectError(await t.http.get(`${API}/tracks/${track.id}/split-sheet`), 403, 'forbidden');

    const before = (await t.http.get(`${API}/tracks/${track.id}/split-sheet`).set(producer.auth).expect(200))
      .body;
    const { confirmed } = await buy(t, buyer, track.id, 'basic', 2999);
    expect(confirmed.status).toBe(200);
    const reading = await t.http.get(`${API}/tracks/${track.id}/split-sheet`).set(buyer.auth).expect(200);
    expect(reading.body.version).toBe(before.version);

    // a later change does not touch what the license froze
    const changed = {
      ...SHEET,
      master: [{ name: 'Producer Ltd', share_bps: 10_000 }],
    };
    await put(producer, track.id, changed, `"${before.version}"`).expect(200);
    const { rows } = await c.db.query(
      `SELECT certificate_number FROM licenses WHERE holder_id = $1 AND track_id = $2`,
      [buyer.id, track.id],
    );
    const cert = await t.http.get(`${API}/licenses/verify/${rows[0].certificate_number}`).expect(200);
    expect(cert.body.split_sheet).toMatchObject({
      version: before.version,
      composition: before.composition,
      master: before.master,
      frozen_at: expect.any(String),
    });
  });

  it('a plan download’s license freezes the split sheet as well', async () => {
    const { producer: p, track: sold } = await trackForSale(t, 4444);
    const sheet = (await put(p, sold.id, SHEET, '"0"').expect(200)).body;
    const fan = await registerUser(t);
    const admin = await loginAdmin(t);
    await t.http.put(`${API}/admin/users/${fan.id}/plan`).set(admin.auth).send({ plan: 'plus' }).expect(200);
    const got = await t.http.post(`${API}/tracks/${sold.id}/plan-download`).set(fan.auth).expect(201);
    const cert = await t.http
      .get(`${API}/licenses/verify/${got.body.license.certificate_number}`)
      .expect(200);
    expect(cert.body.split_sheet).toMatchObject({ version: sheet.version, master: sheet.master });
  });

  it('a license of a track without a split sheet shows null', async () => {
    const { track: bare } = await trackForSale(t, 4343);
    const buyer = await registerUser(t);
    expect((await buy(t, buyer, bare.id, 'basic', 2999)).confirmed.status).toBe(200);
    const { rows } = await c.db.query(`SELECT certificate_number FROM licenses WHERE track_id = $1`, [
      bare.id,
    ]);
    const cert = await t.http.get(`${API}/licenses/verify/${rows[0].certificate_number}`).expect(200);
    expect(cert.body.split_sheet).toBeNull();
  });
});
