// Screenshots of every admin console page for the README (docs/console-*.png), taken from a
// running server with the demo data: `npm run seed && npm start`, then `npm run docs:screenshots`.
// APP_URL (default http://localhost:3000), CHROMIUM_PATH (default /usr/bin/chromium).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = (process.env.APP_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const out = join(root, 'docs');
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const shot = async (name) => {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(out, `console-${name}.png`), fullPage: true });
  console.log(`docs/console-${name}.png`);
};
const nav = (name) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();

try {
  await page.goto(`${base}/admin`);
  await page.getByLabel('Email').fill('admin@demo.local');
  await shot('sign-in');
  await page.getByLabel('Password').fill('demo-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();

  await page.getByLabel('Status').selectOption('suspended');
  await page.getByRole('link', { name: 'rex@demo.local' }).waitFor();
  await shot('users');

  await page.getByRole('link', { name: 'rex@demo.local' }).click();
  await page.getByRole('heading', { name: 'suspended' }).waitFor();
  await page.getByRole('button', { name: 'Reinstate…' }).click();
  await page.getByLabel('Note (shown in the audit log)').fill('Reports withdrawn after review.');
  await page.getByRole('button', { name: 'Continue' }).click();
  await shot('user');

  await nav('Backstage');
  await page.getByRole('article').first().waitFor();
  await shot('backstage');

  await nav('Licenses');
  const license = process.env.LICENSE_ID;
  if (license) {
    await page.getByLabel('License id').fill(license);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('heading', { name: /license/ }).waitFor();
  }
  await shot('licenses');

  await nav('Audit log');
  await page.getByRole('row').nth(1).waitFor();
  await shot('audit');

  await nav('Maintenance');
  await page.getByText('Maintenance mode is').waitFor();
  await shot('maintenance');
} finally {
  await browser.close();
}
