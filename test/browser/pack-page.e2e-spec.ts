import type { Browser } from 'playwright-core';
import { piece, wav } from '../support/audio';
import { readyTrack } from '../support/catalog';
import { startTestApp, type TestApp } from '../support/test-app';
import { registerUser, type TestUser } from '../support/users';
import { inBrowser, launchChromium } from './browser';

/** What the page functions read (they run in the browser). */
interface AudioLike {
  currentTime: number;
  paused: boolean;
  duration: number;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}
declare const document: { querySelector(selector: string): unknown };

/**
 * The public pack page in a real browser (Debian's Chromium): it asks for the access code, lists
 * the pack's tracks, draws each waveform from the peaks the link answers, and plays a track from
 * its anonymous signed stream link — no account in the browser.
 */
describe('pack page (browser)', () => {
  let t: TestApp;
  let browser: Browser;
  let owner: TestUser;
  let tracks: { id: string }[];
  let slug: string;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerUser(t, { name: 'Producer' });
    tracks = [
      await readyTrack(t, owner, wav(piece(21, 12, { channels: 2 }))),
      await readyTrack(t, owner, wav(piece(22, 8, { channels: 2 }))),
    ];
    const pack = (
      await t.http.post('/api/v1/packs').set(owner.auth).send({ name: 'Night drive' }).expect(201)
    ).body as { id: string };
    await t.http
      .put(`/api/v1/packs/${pack.id}/tracks`)
      .set(owner.auth)
      .send({ track_ids: tracks.map((x) => x.id) })
      .expect(200);
    const link = (
      await t.http
        .post(`/api/v1/packs/${pack.id}/links`)
        .set(owner.auth)
        .send({ label: 'for the artist', access_code: 'open-sesame', downloads: 'none' })
        .expect(201)
    ).body as { slug: string; id: string };
    slug = link.slug;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('asks for the code, then draws the waveforms and plays a track', async () => {
    await inBrowser(browser, 'pack page', async (page) => {
      const media: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/v1/media?')) media.push(r.url());
      });
      await page.goto(`${t.url}/api/v1/pack-links/${slug}/page`);
      // the code first: a wrong one is refused, the right one opens the pack
      await page.getByLabel('Access code').waitFor();
      await page.getByLabel('Access code').fill('not-it');
      await page.getByRole('button', { name: 'Open' }).click();
      await page.locator('#status', { hasText: 'incorrect' }).waitFor();
      await page.getByLabel('Access code').fill('open-sesame');
      await page.getByRole('button', { name: 'Open' }).click();
      await page.locator('h1', { hasText: 'Night drive' }).waitFor();
      await page.locator('li canvas[data-peaks="drawn"]').nth(1).waitFor();
      expect(await page.locator('li').count()).toBe(2);

      // the waveform is on the canvas: some pixels are painted
      const painted = await page.evaluate(() => {
        const c = document.querySelector('li canvas') as CanvasLike;
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
      });
      expect(painted).toBeGreaterThan(1000);

      await page.locator('button.play').first().click();
      await page.waitForFunction(() => {
        const a = document.querySelector('li audio') as AudioLike;
        return a.currentTime > 0.3 && !a.paused && Number.isFinite(a.duration);
      });
      const duration = await page.evaluate(() => (document.querySelector('li audio') as AudioLike).duration);
      expect(duration).toBeGreaterThan(11.5);
      expect(duration).toBeLessThan(12.5);
      expect(media.length).toBeGreaterThan(0);
    });

    // the visit was counted (the browser carried no account)
    const pack = (await t.http.get('/api/v1/packs').set(owner.auth).expect(200)).body.data[0] as {
      id: string;
    };
    const links = (await t.http.get(`/api/v1/packs/${pack.id}/links`).set(owner.auth).expect(200)).body
      .data as {
      id: string;
    }[];
    const stats = await t.http
      .get(`/api/v1/packs/${pack.id}/links/${links[0].id}/analytics`)
      .set(owner.auth)
      .expect(200);
    expect(stats.body.available).toBe(true);
    expect(stats.body.days[0].views).toBeGreaterThanOrEqual(1);
  });
});
