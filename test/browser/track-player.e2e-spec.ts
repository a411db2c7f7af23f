import type { Browser, Page } from 'playwright-core';
import { piece, toneWav, wav } from '../support/audio';
import { readyTrack } from '../support/catalog';
import { startTestApp, type TestApp } from '../support/test-app';
import { registerUser, type TestUser } from '../support/users';
import { inBrowser, launchChromium } from './browser';

/** What the page functions read of the `<audio>` element (they run in the browser). */
interface AudioLike {
  currentTime: number;
  paused: boolean;
  duration: number;
}
declare const document: { getElementById(id: string): unknown };

/**
 * Playback in a real browser (Debian's Chromium): the app's track page plays GET /tracks/:id/stream
 * in an `<audio>` element (302 to the signed media URL, then byte ranges), draws the waveform from
 * the peaks, seeks to the middle with a Range request, and time advances — for the clean rendition
 * and, once the producer has a voice tag, for the tagged one.
 */
describe('track player (browser)', () => {
  let t: TestApp;
  let browser: Browser;
  let owner: TestUser;
  let track: { id: string };

  beforeAll(async () => {
    t = await startTestApp();
    owner = await registerUser(t, { name: 'Producer' });
    track = await readyTrack(t, owner, wav(piece(5, 20, { channels: 2 })));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Opens the page, plays, seeks to the middle; answers the ranges the media requests asked for. */
  async function playAndSeek(page: Page, expected: 'clean' | 'tagged'): Promise<string[]> {
    const ranges: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/media?')) ranges.push(r.headers().range ?? '(none)');
    });
    await page.goto(`${t.url}/api/v1/tracks/${track.id}/player`);
    await page.locator('#waveform[data-peaks="drawn"]').waitFor();
    await page.locator('#rendition', { hasText: expected }).waitFor();
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => {
      const a = document.getElementById('player') as AudioLike;
      return a.currentTime > 0.2 && !a.paused && Number.isFinite(a.duration);
    });
    const duration = await page.evaluate(() => (document.getElementById('player') as AudioLike).duration);
    expect(duration).toBeGreaterThan(19.5);
    expect(duration).toBeLessThan(20.5);
    const middle = duration / 2;
    await page.evaluate((at) => {
      (document.getElementById('player') as AudioLike).currentTime = at;
    }, middle);
    await page.waitForFunction(
      (at) => (document.getElementById('player') as AudioLike).currentTime > at + 0.3,
      middle,
    );
    // the player fetched by byte range: a request for a range that does not start at 0
    expect(ranges.some((r) => /^bytes=[1-9]\d*-/.test(r))).toBe(true);
    return ranges;
  }

  it('plays the clean rendition, draws the waveform and seeks by byte range', async () => {
    await inBrowser(browser, 'player clean', async (page) => {
      await playAndSeek(page, 'clean');
    });
  });

  it('plays the tagged rendition once the producer has a voice tag', async () => {
    await t.http
      .put('/api/v1/me/voice-tag')
      .set(owner.auth)
      .attach('audio', toneWav(1.5), 'tag.wav')
      .expect(200);
    await t.drain();
    await inBrowser(browser, 'player tagged', async (page) => {
      await playAndSeek(page, 'tagged');
    });
  });
});
