import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** a client's own id for one of its devices (an app install, a browser profile) */
const DEVICE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export class StreamQueryDto {
  /**
   * The device that will play (kept live: one live stream per user across radio and on-demand
   * playback). Signed-in callers without one are the device `default`; anonymous callers have none.
   */
  @IsOptional()
  @IsString()
  @Matches(DEVICE_ID)
  device_id?: string;
}

export class StreamLinkDto {
  /** the signed media URL the 302 points to (also in Location) */
  url!: string;
  expires_at!: string;
  /** `clean` or `tagged` (the producer's voice tag mixed in) */
  rendition!: 'clean' | 'tagged';
}

export class PeaksQueryDto {
  /** how many min/max pairs (64–4,000) */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(64)
  @Max(4000)
  pixels?: number;
}

/** BBC audiowaveform's JSON (version 2), which peaks.js and wavesurfer.js draw as it is. */
export class PeaksDto {
  /** always 2 */
  version!: number;
  /** always 1: min and max over the audio's channels */
  channels!: number;
  sample_rate!: number;
  samples_per_pixel!: number;
  /** always 8: values −128..127 */
  bits!: number;
  /** how many pixels: `data` holds `length` min,max pairs (−128..127) */
  length!: number;
  data!: number[];
}

export const PLAY_SOURCES = ['radio', 'playlist', 'library', 'feed', 'profile', 'pack_link'] as const;

export class ReportPlayDto {
  @IsString()
  @Matches(DEVICE_ID)
  device_id!: string;

  @IsIn(PLAY_SOURCES)
  source!: (typeof PLAY_SOURCES)[number];

  /** how long the listener heard the track, in seconds */
  @IsInt()
  @Min(0)
  @Max(86_400)
  played_seconds!: number;
}

export class PlayDto {
  /** whether this play counted toward the track's play count */
  counted!: boolean;
  play_count!: number;
}

export class VoiceTagDto {
  duration_ms!: number;
  updated_at!: string;
}

export class VoiceTagStateDto {
  /** null: no voice tag (listeners hear the clean renditions) */
  voice_tag!: VoiceTagDto | null;
}

export class MediaQueryDto {
  /** the signed link (a query parameter, so request logs redact it like every credential) */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  token?: string;
}
