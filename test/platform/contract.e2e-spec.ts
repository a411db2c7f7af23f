import SwaggerParser from '@apidevtools/swagger-parser';
import { AccessAudit } from '../../src/platform/access/access-audit';
import documented from '../../contract/documented-errors.json';
import { startTestApp, TestApp } from '../support/test-app';
import { loginAdmin } from '../support/users';

/** Modules of the documented catalogue this server implements; grows with each module. */
const IMPLEMENTED = [
  'general',
  'idempotency',
  'auth',
  'tracks',
  'purchases',
  'licenses',
  'billing',
  'beat_requests',
  'submissions',
  'backstage',
  'library',
  'collaboration',
  'social',
  'messaging',
  'radio',
  'listening',
  'earnings',
  'refunds',
  'packs',
];

interface Operation {
  'x-access'?: string;
  'x-error-codes'?: string[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

describe('contract: routes, access, OpenAPI, error catalogue', () => {
  let t: TestApp;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http.get('/api/v1/docs/openapi.json').expect(200)).body;
  });
  afterAll(() => t?.close());

  it('declares who may call every route (the app would not boot otherwise)', () => {
    const routes = t.app.get(AccessAudit).routes();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => !r.declared)).toEqual([]);
    // and no anonymous route reads the caller it never identifies (the check sees the parameter)
    expect(
      routes.find((r) => r.controller === 'TracksController' && r.handler === 'get')?.readsPrincipal,
    ).toBe(true);
    expect(routes.filter((r) => r.policy?.kind === 'anonymous' && r.readsPrincipal)).toEqual([]);
  });

  it('serves a valid OpenAPI 3 document, also at /docs, with the interactive page', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await SwaggerParser.validate(structuredClone(doc) as never);
    await t.http.get('/docs/openapi.json').expect(200);
    const page = await t.http.get('/api/v1/docs').expect(200);
    expect(page.text).toContain('swagger');
  });

  it('documents every route with its access and its error responses (admin ones in the admin document)', async () => {
    const admin = await loginAdmin(t);
    const full = (await t.http.get('/api/v1/admin/docs/openapi.json').set(admin.auth).expect(200))
      .body as typeof doc;
    const documentedRoutes = Object.values(full.paths).flatMap((item) => Object.values(item));
    // every controller route except the test hooks and the admin catch-all is in the document
    const routes = t.app
      .get(AccessAudit)
      .routes()
      .filter((r) => r.controller !== 'TestHooksController' && r.controller !== 'AdminFallbackController');
    expect(documentedRoutes).toHaveLength(routes.length);
    for (const op of documentedRoutes) {
      expect(op['x-access']).toEqual(expect.any(String));
      expect(op.responses['500']).toBeDefined();
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400) {
          expect(response.content?.['application/json'].schema?.$ref).toBe(
            '#/components/schemas/ErrorEnvelope',
          );
        }
      }
    }
    const login = doc.paths['/api/v1/auth/login'].post;
    expect(login['x-error-codes']).toEqual(
      expect.arrayContaining(['invalid_credentials', 'too_many_login_attempts']),
    );
    expect(login.responses['429']).toBeDefined();
  });

  it('serves every documented code of the implemented modules, with its documented status', async () => {
    const served = new Map(
      ((await t.http.get('/api/v1/errors').expect(200)).body.data as { code: string; status: number }[]).map(
        (e) => [e.code, e.status],
      ),
    );
    const modules = documented.modules as Record<string, { code: string; status: number }[]>;
    for (const module of IMPLEMENTED) {
      for (const entry of modules[module])
        expect([entry.code, served.get(entry.code)]).toEqual([entry.code, entry.status]);
    }
    // and never a different status for a documented code
    for (const entry of Object.values(modules).flat()) {
      if (served.has(entry.code))
        expect([entry.code, served.get(entry.code)]).toEqual([entry.code, entry.status]);
    }
  });
});
