import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../src/platform/database/migrations';

/**
 * The browser side of the console tests: Debian's Chromium driven by playwright-core (no browser
 * download). A missing Chromium fails the tests with the command that installs it; they never
 * skip themselves.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// no background traffic: the machine's network is closed and Chromium would flood it
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots of failed tests go (gitignored). */
export const FAILURE_DIR = join(projectRoot(), 'test-results', 'browser');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  // playwright gives each launch a fresh temporary profile (--user-data-dir) of its own
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Builds the console from its sources with the project's Vite config (as `npm run build` does)
 * into a fresh folder, so the tests serve exactly the code they test.
 */
export async function buildConsole(): Promise<string> {
  const root = projectRoot();
  const outDir = mkdtempSync(join(tmpdir(), 'admin-console-'));
  await promisify(execFile)(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', 'console'],
    {
      cwd: root,
      env: { ...process.env, ADMIN_CONSOLE_OUT_DIR: outDir },
    },
  );
  return outDir;
}

/**
 * Runs a test's browser steps in a fresh context (no shared cookies or storage). On failure,
 * every open page is screenshotted into test-results/browser/ before the error is rethrown.
 */
export async function inBrowser(
  browser: Browser,
  name: string,
  steps: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  try {
    await steps(page, context);
  } catch (err) {
    mkdirSync(FAILURE_DIR, { recursive: true });
    const slug = name.replace(/\W+/g, '-').slice(0, 80);
    const pages = context.pages();
    for (const [i, p] of pages.entries()) {
      const file = join(FAILURE_DIR, `${slug}-${i + 1}.png`);
      await p.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(`screenshot of ${p.url()} written to ${file}`);
    }
    throw err;
  } finally {
    await context.close();
  }
}

/** Signs in on the console's sign-in page. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
