import type { TestApp } from './test-app';

/** The application clock of `t` (epoch ms), as the server reads it (TEST_HOOKS=1). */
export async function appNow(t: TestApp): Promise<number> {
  const res = await t.http.get('/api/v1/__test/clock').expect(200);
  return Date.parse((res.body as { now: string }).now);
}

/**
 * Moves the test clock (every instance on the database) to just past the start of the next fixed
 * window of `seconds` (rate-limit windows are named by the application clock: floor(now / window)),
 * so a sequence that follows stays in one window unless it takes nearly the whole window in real
 * time. Returns the window's start (epoch ms). A plain `advanceClock(60)` keeps the machine's
 * position within the minute, and a sequence begun at :59 spans two windows.
 */
export async function startOfNextWindow(t: TestApp, seconds = 60): Promise<number> {
  const windowMs = seconds * 1000;
  const now = await appNow(t);
  const start = (Math.floor(now / windowMs) + 1) * windowMs;
  // the server's clock moved on since `now` was read: it lands that much past `start`
  const moved = await t.http
    .post('/api/v1/__test/clock')
    .send({ advance_seconds: (start - now) / 1000 })
    .expect(200);
  const landed = Date.parse((moved.body as { now: string }).now);
  if (Math.floor(landed / windowMs) * windowMs !== start) {
    throw new Error(
      `the test clock landed at ${new Date(landed).toISOString()}, not in the window from ${new Date(start).toISOString()}`,
    );
  }
  return start;
}
