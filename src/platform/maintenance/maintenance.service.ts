import { Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock';
import type { Tx } from '../database/database';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { MaintenanceRepository, MaintenanceState } from './maintenance.repository';

/** How long an instance trusts its copy of the switch: other instances follow within this. */
const CACHE_MS = 1_000;
const RETRY_AFTER_SECONDS = 300;

/**
 * Maintenance mode lives in the database so every instance obeys the same switch; each instance
 * reads it at most once a second. The instance that flips it sees the change at once.
 */
@Injectable()
export class MaintenanceService {
  private cached?: { state: MaintenanceState; at: number };

  constructor(
    private readonly repo: MaintenanceRepository,
    private readonly clock: Clock,
  ) {}

  async state(): Promise<MaintenanceState> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.state;
    const state = await this.repo.read();
    this.cached = { state, at: now };
    return state;
  }

  /** Throws maintenance_mode while the switch is on. Callers exempt admins and health. */
  async assertOpen(): Promise<void> {
    const state = await this.state();
    if (!state.enabled) return;
    throw new AppError(GeneralErrors.maintenanceMode, {
      message: state.message ?? undefined,
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
  }

  /** Writes the switch inside the caller's transaction (with its audit entry). */
  async write(tx: Tx, state: MaintenanceState, actorId: string): Promise<void> {
    await this.repo.write(tx, state, actorId, this.clock.now());
  }

  /** After the write committed: this instance obeys the new state at once. */
  remember(state: MaintenanceState): void {
    this.cached = { state, at: Date.now() };
  }
}
