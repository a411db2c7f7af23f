import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { buy, type CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { loginAdmin, registerUser, type TestUser } from '../support/users';
import { buildConsole, inBrowser, launchChromium, signIn } from './browser';

/**
 * The admin console's Finances page in Chromium, against the app wired to the Stripe-compatible
 * server: the money waiting on a producer's payout account, and a refund made from the page.
 */
describe('admin console: finances (browser)', () => {
  let c: CommerceApp;
  let admin: TestUser;
  let browser: Browser;
  let consoleDir: string;

  beforeAll(async () => {
    consoleDir = await buildConsole();
    c = await startCommerceApp({ ADMIN_CONSOLE_DIR: consoleDir, JOBS_AUTORUN: '0' });
    admin = await loginAdmin(c.t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await c?.close();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  it('shows money waiting on a payout account, and refunds a purchase with a reason', async () => {
    const { producer, track } = await trackForSale(c.t);
    const buyer = await registerUser(c.t);
    const { purchase } = await buy(c.t, buyer, track.id, 'basic', 2999);
    // past the hold: the producer's share is available, with nowhere to go
    await c.t.advanceClock(8 * 86_400);
    admin = await loginAdmin(c.t);

    await inBrowser(browser, 'finances', async (page) => {
      await signIn(page, c.t.url, admin.email, admin.password);
      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: 'Finances' })
        .click();
      const waiting = page.getByRole('table', { name: 'Waiting on payout accounts' });
      const row = waiting.getByRole('row').filter({ hasText: producer.id });
      await row.waitFor();
      expect(await row.textContent()).toContain('no payout account');
      expect(await row.textContent()).toContain('29.99');

      await page.getByLabel('Purchase id').fill(purchase.id);
      await page.getByRole('button', { name: 'Refund purchase…' }).click();
      await page.getByLabel('Reason (shown in the audit log)').fill('duplicate order');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Confirm: refund purchase' }).click();
      await page.getByRole('status').getByText(`Refund requested for ${purchase.id}`).waitFor();
    });

    const p = await c.db.query(
      'SELECT status::text, refund_requested_by, refund_reason FROM purchases WHERE id = $1',
      [purchase.id],
    );
    expect(p.rows).toEqual([
      { status: 'refunding', refund_requested_by: 'admin', refund_reason: 'duplicate order' },
    ]);
    const audit = await c.db.query(
      `SELECT actor_id, reason FROM audit_log WHERE action = 'purchase.refund' AND target_id = $1`,
      [purchase.id],
    );
    expect(audit.rows).toEqual([{ actor_id: admin.id, reason: 'duplicate order' }]);
    // the refund is made at Stripe by its job, once
    await c.t.drain();
    const pi = (
      await c.db.query('SELECT stripe_payment_intent_id AS pi FROM purchases WHERE id = $1', [purchase.id])
    ).rows[0].pi as string;
    expect(c.stripe.refundsFor(pi)).toHaveLength(1);
  });
});
