import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../platform/pagination/page.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ListStationsQueryDto extends PageQueryDto {
  /** genre (default), artist or track */
  @IsOptional()
  @IsIn(['genre', 'artist', 'track'])
  type?: 'genre' | 'artist' | 'track';
}

export class StartSessionDto {
  /** `genre:<name>`, `artist:<artist id>` or `track:<track id>` */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  station_id!: string;

  /** the client's stable id for this device (1–100 characters: letters, digits, `.`, `_`, `-`, `:`) */
  @Transform(trim)
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]{1,100}$/, {
    message: 'device_id must be 1–100 letters, digits, ".", "_", "-" or ":"',
  })
  device_id!: string;
}

export class AdvanceDto {
  /**
   * The track the client is moving on from (optional). When it is no longer the session's current
   * track — a retry of a request that already went through — nothing moves and the session is
   * returned as it is (a retried skip is not counted twice).
   */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  track_id?: string;
}

export class RadioArtistDto {
  id!: string;
  name!: string;
  slug!: string;
}

export class RadioTrackDto {
  id!: string;
  title!: string;
  owner_id!: string;
  artist!: RadioArtistDto | null;
  bpm!: number;
  genre!: string;
  /** as uploaded, e.g. "F#m" */
  key!: string | null;
  /** the key on the Camelot wheel ("11A"), when it could be read */
  camelot!: string | null;
  duration_ms!: number | null;
}

export class StationDto {
  /** `genre:<name>`, `artist:<id>` or `track:<id>` */
  id!: string;
  type!: 'genre' | 'artist' | 'track';
  name!: string;
}

export class StationListDto {
  data!: StationDto[];
  next_cursor!: string | null;
}

export class BpmWindowDto {
  min!: number;
  max!: number;
}

export class StationRuleDto {
  /** tracks of these genres (genre and track stations; for a track, its genre and related ones) */
  genres?: string[];
  /** tracks of these artists (artist stations: the artist first, then close artists) */
  artist_ids?: string[];
  /** compatible keys on the Camelot wheel (track stations whose seed has a key) */
  keys?: string[];
  /** inclusive BPM windows: ±6 % of the seed's tempo, of half of it and of double it */
  bpm?: BpmWindowDto[];
}

export class StationDetailDto extends StationDto {
  artist?: RadioArtistDto;
  track?: RadioTrackDto;
  /** what the station draws from */
  rule!: StationRuleDto;
}

export class RadioSessionDto {
  session_id!: string;
  station!: StationDto;
  device_id!: string;
  /** what is playing (null only if it was deleted while playing; `next` moves on) */
  track!: RadioTrackDto | null;
  /** when the current track started, by the server's clock */
  track_started_at!: string;
  /** the upcoming track (null when the station has nothing else to play) */
  next_track!: RadioTrackDto | null;
  last_heartbeat_at!: string;
  /** heartbeat within LIMIT_STREAM_HEARTBEAT_SECONDS */
  live!: boolean;
  /** skips left in the rolling hour (null: unlimited); on GET and skip responses */
  skips_remaining?: number | null;
  created_at!: string;
}

export class ListenDto {
  id!: string;
  track!: RadioTrackDto;
  /** the radio session it was played in */
  session_id!: string | null;
  /** when it started playing */
  played_at!: string;
}

export class ListenListDto {
  data!: ListenDto[];
  next_cursor!: string | null;
}

export class TrackPlaysDto {
  track_id!: string;
  /** plays on the radio since the track was published */
  plays!: number;
}
