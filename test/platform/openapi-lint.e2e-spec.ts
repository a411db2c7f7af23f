import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin, registerUser } from '../support/users';

const run = promisify(execFile);
const REDOCLY = join(__dirname, '../../node_modules/@redocly/cli/bin/cli.js');

interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer: string }[];
}

/** `redocly lint` with its recommended rules: what client generators read must have no errors. */
async function lint(document: unknown): Promise<Problem[]> {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const out = await run(
      process.execPath,
      [REDOCLY, 'lint', file, '--extends=recommended', '--format=json'],
      {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    return (JSON.parse(out.stdout) as { problems: Problem[] }).problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OpenAPI documents', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('the public document passes redocly lint (recommended) with no errors', async () => {
    const doc = (await t.http.get('/api/v1/docs/openapi.json').expect(200)).body;
    const errors = (await lint(doc)).filter((p) => p.severity === 'error');
    expect(errors.map((e) => `${e.ruleId} ${e.location[0]?.pointer}: ${e.message}`)).toEqual([]);
  });
});

describe('the admin OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  const operations = (doc: { paths: Record<string, Record<string, { 'x-access'?: string }>> }) =>
    Object.values(doc.paths).flatMap((item) => Object.values(item));

  it('is served to admins only; the public document has no admin operation', async () => {
    const publicDoc = (await t.http.get('/api/v1/docs/openapi.json').expect(200)).body;
    expect(Object.keys(publicDoc.paths).filter((p) => p.startsWith('/api/v1/admin'))).toEqual([]);
    expect(operations(publicDoc).filter((op) => op['x-access']?.startsWith('admin'))).toEqual([]);

    const anonymous = await t.http.get('/api/v1/admin/docs/openapi.json');
    expect([anonymous.status, anonymous.body.code]).toEqual([404, 'route_not_found']);
    const user = await registerUser(t);
    const asUser = await t.http.get('/api/v1/admin/docs/openapi.json').set(user.auth);
    expect([asUser.status, asUser.body.code]).toEqual([404, 'route_not_found']);

    const admin = await loginAdmin(t);
    const adminDoc = (await t.http.get('/api/v1/admin/docs/openapi.json').set(admin.auth).expect(200)).body;
    expect(adminDoc.paths['/api/v1/admin/users']).toBeDefined();
    expect(adminDoc.paths['/api/v1/admin/docs/openapi.json']).toBeDefined();
    expect(operations(adminDoc).length).toBeGreaterThan(operations(publicDoc).length);
    const errors = (await lint(adminDoc)).filter((p) => p.severity === 'error');
    expect(errors.map((e) => `${e.ruleId} ${e.location[0]?.pointer}: ${e.message}`)).toEqual([]);
  });
});
