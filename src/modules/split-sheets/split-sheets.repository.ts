import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '../../platform/database/database';
import type { TrackVisibilityFacts } from '../tracks/track-visibility';
import type { SplitSheetGroups } from './split-sheet-rules';

export interface SplitSheetRow extends SplitSheetGroups {
  version: number;
  updatedAt: Date;
}

export interface FrozenSplitSheetRow extends SplitSheetGroups {
  version: number;
  frozenAt: Date;
}

/** What the access rules read of a track, and whether the caller holds an active license of it. */
export interface SplitSheetTrackFacts extends TrackVisibilityFacts {
  id: string;
  licensed: boolean;
}

const SHEET_COLUMNS = `version, composition, master, updated_at AS "updatedAt"`;

@Injectable()
export class SplitSheetsRepository {
  constructor(private readonly db: Database) {}

  /** `$2` the caller ('' when anonymous). */
  async trackFacts(trackId: string, callerId: string | undefined): Promise<SplitSheetTrackFacts | null> {
    const [row] = await this.db.query<SplitSheetTrackFacts>(
      `SELECT t.id, t.owner_id AS "ownerId", t.source::text AS source, t.processing_status::text AS "processingStatus",
         COALESCE((SELECT json_agg(json_build_object('userId', c.user_id)) FROM track_collaborators c
                   WHERE c.track_id = t.id), '[]'::json) AS collaborators,
         ($2 <> '' AND EXISTS (SELECT 1 FROM licenses l WHERE l.holder_id = $2 AND l.track_id = t.id
                                 AND l.status = 'active')) AS licensed
       FROM tracks t WHERE t.id = $1`,
      [trackId, callerId ?? ''],
    );
    return row ?? null;
  }

  async sheet(trackId: string): Promise<SplitSheetRow | null> {
    const [row] = await this.db.query<SplitSheetRow>(
      `SELECT ${SHEET_COLUMNS} FROM split_sheets WHERE track_id = $1`,
      [trackId],
    );
    return row ?? null;
  }

  /**
   * Writes the sheet in one statement. Without `ifMatch`: whatever is there (version + 1). With
   * `ifMatch` 0: only when there is no sheet yet. With a version: only while the sheet is at that
   * version (a conditional update, so of concurrent writers with one If-Match exactly one wins).
   * Null: the precondition failed.
   */
  async put(
    trackId: string,
    sheet: SplitSheetGroups,
    ifMatch: number | undefined,
    at: Date,
  ): Promise<SplitSheetRow | null> {
    const params = [trackId, JSON.stringify(sheet.composition), JSON.stringify(sheet.master), at];
    const insert = `INSERT INTO split_sheets (track_id, version, composition, master, updated_at)
                    VALUES ($1, 1, $2::jsonb, $3::jsonb, $4)`;
    const [row] =
      ifMatch === undefined
        ? await this.db.query<SplitSheetRow>(
            `${insert} ON CONFLICT (track_id) DO UPDATE SET version = split_sheets.version + 1,
               composition = EXCLUDED.composition, master = EXCLUDED.master, updated_at = EXCLUDED.updated_at
             RETURNING ${SHEET_COLUMNS}`,
            params,
          )
        : ifMatch === 0
          ? await this.db.query<SplitSheetRow>(
              `${insert} ON CONFLICT (track_id) DO NOTHING RETURNING ${SHEET_COLUMNS}`,
              params,
            )
          : await this.db.query<SplitSheetRow>(
              `UPDATE split_sheets SET version = version + 1, composition = $2::jsonb, master = $3::jsonb,
                 updated_at = $4
               WHERE track_id = $1 AND version = $5 RETURNING ${SHEET_COLUMNS}`,
              [...params, ifMatch],
            );
    return row ?? null;
  }

  /**
   * Copies the track's split sheet in force into the license's own row, inside the transaction
   * that issues the license (nothing when the track has none).
   */
  async freeze(tx: Tx, licenseId: string, trackId: string, at: Date): Promise<void> {
    await tx.execute(
      `INSERT INTO license_split_sheets (license_id, version, composition, master, frozen_at)
       SELECT $1, version, composition, master, $3 FROM split_sheets WHERE track_id = $2
       ON CONFLICT (license_id) DO NOTHING`,
      [licenseId, trackId, at],
      'split_sheet_freeze',
    );
  }

  async frozen(licenseId: string): Promise<FrozenSplitSheetRow | null> {
    const [row] = await this.db.query<FrozenSplitSheetRow>(
      `SELECT version, composition, master, frozen_at AS "frozenAt" FROM license_split_sheets WHERE license_id = $1`,
      [licenseId],
    );
    return row ?? null;
  }
}
