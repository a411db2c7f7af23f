import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_CONSOLE_CSP } from '../../src/platform/admin-console/admin-console';
import { DEMO_PASSWORD } from '../../src/seed/demo-data';
import { DemoSeeder } from '../../src/seed/demo-seeder';
import { expectError } from '../support/expect-error';
import { startTestApp, TestApp } from '../support/test-app';
import { login, loginAdmin, registerUser, TestUser } from '../support/users';
import { buildConsole, inBrowser, launchChromium, signIn } from './browser';

/**
 * The admin console in a real browser (Debian's Chromium), served by the real app against
 * PostgreSQL, built from its sources as `npm run build` builds it.
 */
describe('admin console (browser)', () => {
  let t: TestApp;
  let admin: TestUser;
  let browser: Browser;
  let consoleDir: string;

  beforeAll(async () => {
    consoleDir = await buildConsole();
    t = await startTestApp({ ADMIN_CONSOLE_DIR: consoleDir });
    admin = await loginAdmin(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  /** Every request the page makes, to check it never leaves the origin. */
  const watch = (page: Page) => {
    const urls: string[] = [];
    const violations: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    return { urls, violations };
  };

  const openUserByEmail = async (page: Page, email: string, status: 'suspended' | 'active') => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Status').selectOption(status);
    await page.getByLabel('Email or name').fill(email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: email }).click();
    await page.getByRole('heading', { name: status }).waitFor();
  };

  it('an admin signs in, finds a suspended user by email, reinstates them, and the audit log shows it', async () => {
    const user = await registerUser(t, { name: 'Suspended Sam' });
    await t.http
      .post(`/api/v1/admin/users/${user.id}/suspend`)
      .set(admin.auth)
      .send({ reason: 'chargeback fraud' })
      .expect(200);

    await inBrowser(browser, 'reinstate a suspended user', async (page) => {
      const seen = watch(page);
      await signIn(page, t.url, admin.email, admin.password);
      await page.getByRole('navigation', { name: 'Sections' }).waitFor();

      await openUserByEmail(page, user.email, 'suspended');
      await page.getByText('chargeback fraud').first().waitFor();
      await page.getByRole('button', { name: 'Reinstate…' }).click();
      await page.getByLabel('Note (shown in the audit log)').fill('refund settled with the bank');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Confirm: reinstate' }).click();
      await page.getByRole('status').getByText(`${user.email} is reinstated.`).waitFor();
      await page.getByRole('heading', { name: 'active' }).waitFor();

      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: 'Audit log' })
        .click();
      await page.getByLabel('Target id').fill(user.id);
      await page.getByLabel('Action (e.g. user.suspend)').fill('user.reinstate');
      await page.getByRole('button', { name: 'Filter' }).click();
      const row = page.getByRole('row').filter({ hasText: 'refund settled with the bank' });
      await row.waitFor();
      expect(await row.textContent()).toContain('user.reinstate');
      expect(await row.textContent()).toContain(admin.id);

      // the session lives in memory only: nothing stored, and a reload asks to sign in again
      expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
      expect(await page.evaluate('document.cookie')).toBe('');
      await page.reload();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();

      const origin = new URL(t.url).origin;
      expect(seen.urls.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
      expect(seen.violations).toEqual([]);
    });

    const after = await t.http.get(`/api/v1/admin/users/${user.id}`).set(admin.auth).expect(200);
    expect(after.body.status).toBe('active');
  });

  it("an admin suspends a user, and that user's existing access token is refused on its next API call", async () => {
    const user = await registerUser(t, { name: 'Active Alex' });
    await t.http.get('/api/v1/me').set(user.auth).expect(200);

    await inBrowser(browser, 'suspend a user', async (page) => {
      await signIn(page, t.url, admin.email, admin.password);
      await openUserByEmail(page, user.email, 'active');
      await page.getByRole('button', { name: 'Suspend…' }).click();
      await page.getByLabel('Reason (shown in the audit log)').fill('spam uploads');
      await page.getByRole('button', { name: 'Continue' }).click();
      // nothing is sent before the confirmation
      await t.http.get('/api/v1/me').set(user.auth).expect(200);
      await page.getByRole('button', { name: 'Confirm: suspend' }).click();
      await page.getByRole('status').getByText(`${user.email} is suspended.`).waitFor();

      expectError(await t.http.get('/api/v1/me').set(user.auth), 403, 'account_suspended');

      // the admin's own account: the API's cannot_modify_self, shown as its sentence
      await openUserByEmail(page, admin.email, 'active');
      await page.getByRole('button', { name: 'Suspend…' }).click();
      await page.getByLabel('Reason (shown in the audit log)').fill('testing myself');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Confirm: suspend' }).click();
      await page.getByRole('alert').getByText('You cannot suspend or delete your own account.').waitFor();
    });
  });

  it('a non-admin cannot reach any console data', async () => {
    const user = await registerUser(t, { name: 'Curious Casey' });
    const target = await registerUser(t);

    await inBrowser(browser, 'non-admin sign-in', async (page) => {
      const adminResponses: { url: string; status: number }[] = [];
      page.on('response', (r) => {
        if (r.url().includes('/api/v1/admin/')) adminResponses.push({ url: r.url(), status: r.status() });
      });
      await signIn(page, t.url, user.email, user.password);
      // the same answer the API gives a non-admin: the catalogue's route_not_found
      await page.getByRole('alert').getByText('Endpoint not found.').waitFor();
      expect(await page.getByRole('navigation', { name: 'Sections' }).count()).toBe(0);
      expect(adminResponses.length).toBeGreaterThan(0);
      expect(adminResponses.every((r) => r.status === 404)).toBe(true);

      // a deep link shows the sign-in page, not the user
      await page.goto(`${t.url}/admin/users/${target.id}`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(await page.content()).not.toContain(target.email);
    });

    // every admin route the console calls answers this user (and nobody) route_not_found
    const routes: [string, string][] = [
      ['get', `/api/v1/admin/users?q=${encodeURIComponent(target.email)}`],
      ['get', `/api/v1/admin/users/${target.id}`],
      ['post', `/api/v1/admin/users/${target.id}/suspend`],
      ['post', `/api/v1/admin/users/${target.id}/reinstate`],
      ['put', `/api/v1/admin/users/${target.id}/permissions`],
      ['put', `/api/v1/admin/users/${target.id}/plan`],
      ['get', `/api/v1/admin/audit-log?target_id=${target.id}`],
      ['get', '/api/v1/admin/maintenance'],
      ['put', '/api/v1/admin/maintenance'],
      ['get', '/api/v1/admin/backstage/requests?status=pending'],
      ['post', '/api/v1/admin/backstage/requests/bsr_01m7zzzzzzzzzzzzzzzzzzzzzz/approve'],
      ['get', '/api/v1/admin/licenses/lic_01m7zzzzzzzzzzzzzzzzzzzzzz'],
      ['post', '/api/v1/admin/licenses/lic_01m7zzzzzzzzzzzzzzzzzzzzzz/revoke'],
    ];
    const http = t.http as unknown as Record<string, (p: string) => import('supertest').Test>;
    for (const [method, path] of routes) {
      expectError(await http[method](path).set(user.auth).send({}), 404, 'route_not_found');
      expectError(await http[method](path).send({}), 404, 'route_not_found');
    }
  });

  it('renews an expired access token in memory, and returns to sign-in when the session cannot be renewed', async () => {
    await inBrowser(browser, 'session renewal', async (page) => {
      await signIn(page, t.url, admin.email, admin.password);
      const sections = page.getByRole('navigation', { name: 'Sections' });
      await sections.waitFor();

      await t.advanceClock(3_700); // past the access token's hour
      await sections.getByRole('link', { name: 'Maintenance' }).click();
      await page.getByText('Maintenance mode is').waitFor();

      await t.advanceClock(400 * 86_400); // past any refresh token
      await sections.getByRole('link', { name: 'Backstage' }).click();
      await page.getByText('Your session has ended. Sign in again.').waitFor();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    });
  });

  it('on the demo data: decides a backstage request, revokes a license, changes plan and permissions, switches maintenance', async () => {
    await new DemoSeeder(t.app, () => undefined).run();
    const admin = await loginAdmin(t); // a fresh session (another test moves the clock)
    const lena = await login(t, 'lena@demo.local', DEMO_PASSWORD);
    const licenseId = (await t.http.get('/api/v1/licenses').set(lena.auth).expect(200)).body.data[0].id;
    const theo = (await t.http.get('/api/v1/admin/users?q=theo@demo.local').set(admin.auth).expect(200)).body
      .data[0];

    await inBrowser(browser, 'demo data pages', async (page) => {
      const sections = page.getByRole('navigation', { name: 'Sections' });
      await signIn(page, t.url, admin.email, admin.password);

      // backstage: Kilo's pending verification, approved with a note
      await sections.getByRole('link', { name: 'Backstage' }).click();
      const kilo = page.getByRole('article').filter({ hasText: 'Kilo Mensah' });
      await kilo.getByRole('button', { name: 'Approve…' }).click();
      await kilo.getByLabel('Notes for the applicant').fill('Profile and releases match.');
      await kilo.getByRole('button', { name: 'Continue' }).click();
      await kilo.getByRole('button', { name: 'Confirm: approve' }).click();
      await kilo.waitFor({ state: 'detached' }); // decided: it leaves the pending queue
      await page.getByLabel('Status').selectOption('approved');
      await page.getByRole('article').filter({ hasText: 'Profile and releases match.' }).waitFor();

      // licenses: Lena's lease, looked up and revoked with a reason
      await sections.getByRole('link', { name: 'Licenses' }).click();
      await page.getByLabel('License id').fill(licenseId);
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.getByRole('heading', { name: /basic license · Midnight Drive/ }).waitFor();
      await page.getByRole('button', { name: 'Revoke license…' }).click();
      await page.getByLabel('Reason (shown in the audit log)').fill('chargeback confirmed');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Confirm: revoke license' }).click();
      await page.getByRole('status').getByText('The license is revoked.').waitFor();
      // an unknown id: the catalogue's sentence
      await page.getByLabel('License id').fill('lic_01m7zzzzzzzzzzzzzzzzzzzzzz');
      await page.getByRole('button', { name: 'Look up' }).click();
      await page.getByRole('alert').getByText('License not found.').waitFor();

      // a user's plan and permissions
      await sections.getByRole('link', { name: 'Users' }).click();
      await page.getByLabel('Email or name').fill('theo@demo.local');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: 'theo@demo.local' }).click();
      await page.getByLabel('Override plan').selectOption('plus');
      await page.getByRole('button', { name: 'Change plan…' }).click();
      await page.getByRole('button', { name: 'Confirm: change plan' }).click();
      await page.getByRole('status').getByText('Plan changed to plus.').waitFor();
      await page.getByRole('button', { name: 'Revoke backstage_requests.create…' }).click();
      await page.getByRole('button', { name: 'Confirm: revoke backstage_requests.create' }).click();
      await page.getByRole('status').getByText('backstage_requests.create revoked.').waitFor();

      // maintenance on with a message, then off
      await sections.getByRole('link', { name: 'Maintenance' }).click();
      await page.getByLabel('Message shown to users').fill('Back at 18:00 UTC');
      await page.getByRole('button', { name: 'Turn maintenance on…' }).click();
      await page.getByRole('button', { name: 'Confirm: turn maintenance on' }).click();
      await page.getByRole('button', { name: 'Turn maintenance off…' }).waitFor();
      expectError(await t.http.get('/api/v1/me').set(lena.auth), 503, 'maintenance_mode');
      await page.getByRole('button', { name: 'Turn maintenance off…' }).click();
      await page.getByRole('button', { name: 'Confirm: turn maintenance off' }).click();
      await page.getByRole('button', { name: 'Turn maintenance on…' }).waitFor();
    });

    await t.http.get('/api/v1/me').set(lena.auth).expect(200);
    expect((await t.http.get(`/api/v1/admin/licenses/${licenseId}`).set(admin.auth)).body.status).toBe(
      'revoked',
    );
    const after = (await t.http.get(`/api/v1/admin/users/${theo.id}`).set(admin.auth).expect(200)).body;
    expect(after).toMatchObject({ plan_id: 'plus', permissions: [] });
    expect((await t.http.get('/api/v1/artists/kilo-keys').expect(200)).body.verified).toBe(true);
    const actions = (
      await t.http.get('/api/v1/admin/audit-log?limit=10').set(admin.auth).expect(200)
    ).body.data.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 6)).toEqual([
      'maintenance.off',
      'maintenance.on',
      'user.permissions',
      'user.plan',
      'license.revoke',
      'backstage.approve',
    ]);
  });

  it('serves the console with a strict Content-Security-Policy and no inline code, outside the API prefix', async () => {
    const page = await t.http.get('/admin').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(ADMIN_CONSOLE_CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    const html = page.text;
    // scripts only from files of this origin, no inline script or style
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(html)![1];

    const asset = await t.http.get(script).expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['content-security-policy']).toBe(ADMIN_CONSOLE_CSP);
    expect(asset.headers['cache-control']).toContain('immutable');

    // the console's pages are the same document; anything else is the API's not-found
    const deep = await t.http.get('/admin/users/usr_01m7zzzzzzzzzzzzzzzzzzzzzz').expect(200);
    expect(deep.text).toBe(html);
    expect(deep.headers['content-security-policy']).toBe(ADMIN_CONSOLE_CSP);
    expectError(await t.http.get('/admin/assets/missing.js'), 404, 'route_not_found');
    expectError(await t.http.get('/admin/elsewhere'), 404, 'route_not_found');
    // the console's headers are its own: the API's responses do not carry them
    const api = await t.http.get('/api/v1/health').expect(200);
    expect(api.headers['content-security-policy']).not.toBe(ADMIN_CONSOLE_CSP);
  });
});
