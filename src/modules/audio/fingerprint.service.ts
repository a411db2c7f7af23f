import { Injectable } from '@nestjs/common';
import { Clock } from '../../platform/clock/clock';
import type { Tx } from '../../platform/database/database';
import { indexKeys, similarity } from './fingerprint-matching';
import { type Candidate, FingerprintRepository } from './fingerprint.repository';

export interface Match {
  trackId: string;
  similarity: number;
}

/** How many index candidates are compared exactly; more shared keys rank first. */
export const CANDIDATES = 50;

/**
 * The one answer to "which tracks match this audio at ≥ X %", for duplicate detection (95 %) and
 * Audio Recon (80 %): candidates from the inverted index, then the exact comparison.
 */
@Injectable()
export class FingerprintService {
  constructor(
    private readonly repo: FingerprintRepository,
    private readonly clock: Clock,
  ) {}

  async store(tx: Tx, trackId: string, fingerprint: number[], durationMs: number): Promise<void> {
    await this.repo.save(tx, trackId, fingerprint, indexKeys(fingerprint), durationMs, this.clock.now());
  }

  fingerprintOf(trackId: string, tx?: Tx): Promise<number[] | null> {
    return this.repo.fingerprintOf(trackId, tx);
  }

  /** Tracks whose fingerprint matches `fingerprint` at ≥ `threshold`, best first. */
  async matches(
    fingerprint: number[],
    threshold: number,
    opts: { exclude?: string[]; tx?: Tx } = {},
  ): Promise<Match[]> {
    const candidates = await this.repo.candidates(
      indexKeys(fingerprint),
      { exclude: opts.exclude ?? [], limit: CANDIDATES },
      opts.tx,
    );
    return this.compare(fingerprint, candidates, threshold);
  }

  /** The exact comparison of candidates: those at ≥ `threshold`, best first. */
  compare(fingerprint: number[], candidates: Candidate[], threshold: number): Match[] {
    return candidates
      .map((c) => ({ trackId: c.trackId, similarity: similarity(fingerprint, c.fingerprint) }))
      .filter((m) => m.similarity >= threshold)
      .sort((a, b) => b.similarity - a.similarity || a.trackId.localeCompare(b.trackId));
  }
}
