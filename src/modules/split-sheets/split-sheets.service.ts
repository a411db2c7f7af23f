import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import type { Tx } from '../../platform/database/database';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { trackAccess } from '../tracks/track-access';
import type { FrozenSplitSheetDto, PutSplitSheetDto, SplitSheetDto } from './dto/split-sheet.dto';
import { normalizeSplitSheet, splitSheetProblems } from './split-sheet-rules';
import { SplitSheetErrors } from './split-sheets.errors';
import { SplitSheetsRepository, type SplitSheetRow } from './split-sheets.repository';

/**
 * Split sheets: who wrote the composition and who owns the master of a track, in basis points.
 * The owner writes it (If-Match → stale_version); the owner, credited collaborators, holders of
 * an active license and admins read it. A license freezes the sheet in force when it is issued
 * (`freeze`, called by licensing in the issuing transaction), and its certificate shows that copy.
 */
@Injectable()
export class SplitSheetsService {
  constructor(
    private readonly repo: SplitSheetsRepository,
    private readonly clock: Clock,
  ) {}

  /** Checked in order: track_not_found / forbidden, then license holders may read too. */
  async get(principal: Principal | undefined, trackId: string): Promise<SplitSheetDto> {
    const track = trackAccess.assert(
      principal,
      'see',
      await this.repo.trackFacts(trackId, principal?.userId),
    );
    const reader =
      trackAccess.can(principal, 'credited', track) || track.licensed || principal?.role === 'admin';
    if (!reader) throw new AppError(GeneralErrors.forbidden);
    return toDto(trackId, await this.repo.sheet(trackId));
  }

  /**
   * Checked in order: track_not_found (not visible), forbidden (not the owner),
   * split_sheet_structural_validation_failed (every problem in `errors`), stale_version.
   */
  async put(
    principal: Principal,
    trackId: string,
    dto: PutSplitSheetDto,
    ifMatch: number | undefined,
  ): Promise<SplitSheetDto> {
    trackAccess.assert(principal, 'credit', await this.repo.trackFacts(trackId, principal.userId));
    const errors = splitSheetProblems(dto);
    if (Object.keys(errors).length)
      throw new AppError(SplitSheetErrors.splitSheetStructuralValidationFailed, { errors });
    const row = await this.repo.put(trackId, normalizeSplitSheet(dto), ifMatch, this.clock.now());
    if (!row) throw new AppError(GeneralErrors.staleVersion);
    return toDto(trackId, row);
  }

  /** Inside the transaction that issues license `licenseId` of the track. */
  freeze(tx: Tx, licenseId: string, trackId: string): Promise<void> {
    return this.repo.freeze(tx, licenseId, trackId, this.clock.now());
  }

  /** The copy license `licenseId` froze (null: the track had no split sheet then). */
  async frozen(licenseId: string): Promise<FrozenSplitSheetDto | null> {
    const row = await this.repo.frozen(licenseId);
    return row
      ? {
          version: row.version,
          composition: row.composition,
          master: row.master,
          frozen_at: row.frozenAt.toISOString(),
        }
      : null;
  }
}

function toDto(trackId: string, row: SplitSheetRow | null): SplitSheetDto {
  return {
    track_id: trackId,
    version: row?.version ?? 0,
    composition: row?.composition ?? [],
    master: row?.master ?? [],
    updated_at: row?.updatedAt.toISOString() ?? null,
  };
}
