import { Injectable } from '@nestjs/common';

/**
 * The application's one source of time. Every time rule (expiry, windows, cooldowns, monthly
 * resets, rate windows) reads it, never the database's now(), so tests can move time forward
 * through the test hook.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** How far the clock is ahead of the machine's (0 unless the test hook moved it). */
  offset(): number {
    return this.offsetMs;
  }

  /** Only with TEST_HOOKS=1 (the test-hooks controller is the sole caller). */
  advance(seconds: number): Date {
    this.offsetMs += Math.round(seconds * 1000);
    return this.now();
  }

  /** Only with TEST_HOOKS=1: the offset shared by every instance (see TestClockSync). */
  setOffset(ms: number): void {
    this.offsetMs = ms;
  }
}

export const addSeconds = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);
