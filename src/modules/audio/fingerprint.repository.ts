import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '../../platform/database/database';

export interface Candidate {
  trackId: string;
  fingerprint: number[];
}

@Injectable()
export class FingerprintRepository {
  constructor(private readonly db: Database) {}

  async save(
    tx: Tx,
    trackId: string,
    fingerprint: number[],
    hashes: number[],
    durationMs: number,
    at: Date,
  ): Promise<void> {
    // one statement, not Prisma's upsert: its query compiler walked the two 960-integer arrays
    // (bench `fingerprints`, "fingerprint insert")
    await tx.execute(
      `INSERT INTO track_fingerprints (track_id, fingerprint, hashes, duration_ms, created_at)
       VALUES ($1, $2::int4[], $3::int4[], $4, $5)
       ON CONFLICT (track_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, hashes = EXCLUDED.hashes,
         duration_ms = EXCLUDED.duration_ms, created_at = EXCLUDED.created_at`,
      [trackId, fingerprint, hashes, durationMs, at],
    );
  }

  async fingerprintOf(trackId: string, tx?: Tx): Promise<number[] | null> {
    const rows = await (tx ?? this.db).query<{ fingerprint: number[] }>(
      'SELECT fingerprint FROM track_fingerprints WHERE track_id = $1',
      [trackId],
    );
    return rows[0]?.fingerprint ?? null;
  }

  /**
   * Candidates from the inverted index: the tracks the candidate rule finds for the probe's keys
   * (SQL function `fingerprint_candidates`, migration 20261207093000_fingerprint_candidates, the
   * rule's one definition: at least two shared keys, found through the GIN index), best first, at
   * most `limit`. Only those rows' fingerprints are read.
   */
  async candidates(
    keys: number[],
    opts: { exclude: string[]; limit: number },
    tx?: Tx,
  ): Promise<Candidate[]> {
    if (!keys.length) return [];
    const text = `
      SELECT c.track_id AS "trackId", c.fingerprint
      FROM fingerprint_candidates($1::int4[]) c
      WHERE NOT (c.track_id = ANY($2::text[]))
      ORDER BY c.shared_keys DESC, c.track_id
      LIMIT $3`;
    // prepared once per connection: planning this query cost as much as running it
    return (tx ?? this.db).query<Candidate>(text, [keys, opts.exclude, opts.limit], 'fingerprint_candidates');
  }
}
