import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';

export interface Candidate {
  trackId: string;
  fingerprint: number[];
}

@Injectable()
export class FingerprintRepository {
  constructor(private readonly prisma: PrismaService) {}

  async save(
    tx: Tx,
    trackId: string,
    fingerprint: number[],
    hashes: number[],
    durationMs: number,
    at: Date,
  ): Promise<void> {
    await tx.trackFingerprint.upsert({
      where: { trackId },
      create: { trackId, fingerprint, hashes, durationMs, createdAt: at },
      update: { fingerprint, hashes, durationMs, createdAt: at },
    });
  }

  async fingerprintOf(trackId: string): Promise<number[] | null> {
    const rows = await this.prisma.sql<{ fingerprint: number[] }>(
      'SELECT fingerprint FROM track_fingerprints WHERE track_id = $1',
      [trackId],
    );
    return rows[0]?.fingerprint ?? null;
  }

  /**
   * Candidates from the inverted index: tracks sharing index keys with the probe (GIN, intarray
   * `&&`), ranked by how many they share, at most `limit`. Only those rows' fingerprints are read.
   * `within` narrows the search to a set of tracks (e.g. the submissions of one beat request).
   */
  async candidates(
    keys: number[],
    opts: { exclude: string[]; within?: string[]; limit: number },
    tx?: Tx,
  ): Promise<Candidate[]> {
    if (!keys.length) return [];
    const params: unknown[] = [keys, opts.exclude, opts.limit];
    let filter = '';
    if (opts.within) {
      params.push(opts.within);
      filter = 'AND track_id = ANY($4::text[])';
    }
    const text = `
      SELECT track_id AS "trackId", fingerprint
      FROM track_fingerprints
      WHERE hashes && $1::int4[] AND NOT (track_id = ANY($2::text[])) ${filter}
      ORDER BY icount(hashes & $1::int4[]) DESC, track_id
      LIMIT $3`;
    if (tx) return tx.$queryRawUnsafe<Candidate[]>(text, ...params);
    return this.prisma.sql<Candidate>(text, params);
  }
}
