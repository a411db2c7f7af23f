import { TrackSummaryDto } from '../../tracks/track-summary';

export class LibraryEntryDto {
  track_id!: string;
  saved_at!: string;
  /** false when the track is no longer visible to you (e.g. its audio failed processing); `track` is then null */
  available!: boolean;
  track!: TrackSummaryDto | null;
}

export class LibraryListDto {
  data!: LibraryEntryDto[];
  next_cursor!: string | null;
}
