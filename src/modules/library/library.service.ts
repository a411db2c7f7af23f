import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { summaryRowOf, toTrackSummaryDto, visibleSummary } from '../tracks/track-summary';
import { TracksErrors } from '../tracks/tracks.errors';
import { TracksService } from '../tracks/tracks.service';
import type { LibraryEntryDto } from './dto/library.dto';
import { LibraryErrors } from './library.errors';
import { type LibraryRow, LibraryRepository } from './library.repository';

@Injectable()
export class LibraryService {
  constructor(
    private readonly repo: LibraryRepository,
    private readonly tracks: TracksService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Checked in order: track_not_found (unknown, or not visible to the caller), track_already_saved,
   * library_full.
   */
  async save(principal: Principal, trackId: string): Promise<LibraryEntryDto> {
    const track = await this.tracks.visibleTrack(trackId, principal);
    const at = this.clock.now();
    const outcome = await this.repo.save(principal.userId, track.id, at, this.config.limits.libraryItems);
    if (outcome === 'exists') throw new AppError(LibraryErrors.trackAlreadySaved);
    if (outcome === 'full') throw new AppError(LibraryErrors.libraryFull);
    if (outcome === 'gone') throw new AppError(TracksErrors.trackNotFound);
    return {
      track_id: track.id,
      saved_at: at.toISOString(),
      available: true,
      track: toTrackSummaryDto(summaryRowOf(track)),
    };
  }

  async remove(principal: Principal, trackId: string): Promise<void> {
    await this.repo.remove(principal.userId, trackId);
  }

  async list(principal: Principal, query: PageQueryDto): Promise<Page<LibraryEntryDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.list(principal, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, (r) => ({ at: r.savedAt, id: r.trackId }), toEntry);
  }
}

function toEntry(row: LibraryRow): LibraryEntryDto {
  const track = visibleSummary(row);
  return {
    track_id: row.trackId,
    saved_at: new Date(row.savedAt).toISOString(),
    available: track !== null,
    track,
  };
}
