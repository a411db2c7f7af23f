import { Injectable } from '@nestjs/common';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { byCreation, decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { ListStationsQueryDto, RadioTrackDto, StationDetailDto, StationDto } from './dto/radio.dto';
import { RadioErrors } from './radio.errors';
import { RadioRepository, type RadioTrackRow } from './radio.repository';
import {
  camelotName,
  keyCode,
  parseStationId,
  type StationRule,
  stationId,
  type StationType,
  trackRule,
} from './seed-rules';

/** How many close artists an artist station mixes in. */
const CLOSE_ARTISTS = 10;

export const toRadioTrackDto = (t: RadioTrackRow): RadioTrackDto => {
  const code = keyCode(t.musical_key);
  return {
    id: t.id,
    title: t.title,
    owner_id: t.owner_id,
    artist: t.artist_id ? { id: t.artist_id, name: t.artist_name!, slug: t.artist_slug! } : null,
    bpm: t.bpm,
    genre: t.genre,
    key: t.musical_key,
    camelot: code === null ? null : camelotName(code),
    duration_ms: t.duration_ms,
  };
};

/** A station resolved for playing: what it is, what it draws from, and the track it opens with. */
export interface ResolvedStation {
  station: StationDto;
  rule: StationRule;
  /** a track station opens with its seed */
  first?: string;
  detail: StationDetailDto;
}

const genreCursor = {
  encode: (genre: string) => Buffer.from(JSON.stringify(['genre', genre])).toString('base64url'),
  decode: (cursor: string | undefined): string => {
    if (cursor === undefined) return '';
    try {
      const [tag, genre] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
      if (tag !== 'genre' || typeof genre !== 'string') throw new Error('bad cursor');
      return genre;
    } catch {
      throw new AppError(GeneralErrors.validationFailed, { errors: { cursor: ['cursor is not valid'] } });
    }
  },
};

@Injectable()
export class StationsService {
  constructor(private readonly repo: RadioRepository) {}

  /** Genres alphabetically; artists and tracks newest first. Only seeds with playable tracks. */
  async list(query: ListStationsQueryDto): Promise<Page<StationDto>> {
    const type: StationType = query.type ?? 'genre';
    const limit = pageLimit(query);
    if (type === 'genre') {
      const genres = await this.repo.genres(limit + 1, genreCursor.decode(query.cursor));
      const page = genres.slice(0, limit);
      return {
        data: page.map((g) => ({ id: stationId('genre', g), type, name: g })),
        next_cursor: genres.length > limit ? genreCursor.encode(page[page.length - 1]) : null,
      };
    }
    const after = decodeCursor(query.cursor);
    if (type === 'artist') {
      const rows = await this.repo.artists(limit + 1, after);
      return toPage(rows, limit, byCreation, (a) => ({ id: stationId('artist', a.id), type, name: a.name }));
    }
    const rows = await this.repo.tracks(limit + 1, after);
    return toPage(rows, limit, byCreation, (t) => ({ id: stationId('track', t.id), type, name: t.title }));
  }

  async describe(id: string): Promise<StationDetailDto> {
    return (await this.resolve(id)).detail;
  }

  /** station_not_found for a malformed id, an unknown seed, or a seed with nothing playable. */
  async resolve(id: string): Promise<ResolvedStation> {
    const parsed = parseStationId(id);
    if (!parsed) throw new AppError(RadioErrors.stationNotFound);
    const { type, value } = parsed;
    const station = (name: string): StationDto => ({ id: stationId(type, value), type, name });

    if (type === 'genre') {
      if (!(await this.repo.genreIsPlayable(value))) throw new AppError(RadioErrors.stationNotFound);
      const rule: StationRule = { genres: [value] };
      return { station: station(value), rule, detail: { ...station(value), rule: { genres: rule.genres } } };
    }

    if (type === 'artist') {
      const artist = await this.repo.artist(value);
      if (!artist?.playable) throw new AppError(RadioErrors.stationNotFound);
      const close = await this.repo.closeArtists(artist.id, artist.genres, CLOSE_ARTISTS);
      const rule: StationRule = { artists: [artist.id, ...close] };
      const dto = station(artist.name);
      return {
        station: dto,
        rule,
        detail: {
          ...dto,
          artist: { id: artist.id, name: artist.name, slug: artist.slug },
          rule: { artist_ids: rule.artists },
        },
      };
    }

    const [seed] = await this.repo.summaries([value]);
    if (!seed) throw new AppError(RadioErrors.stationNotFound);
    const rule = trackRule({ genre: seed.genre, bpm: seed.bpm, musicalKey: seed.musical_key });
    const dto = station(seed.title);
    return {
      station: dto,
      rule,
      first: seed.id,
      detail: {
        ...dto,
        track: toRadioTrackDto(seed),
        rule: {
          genres: rule.genres,
          keys: rule.keys?.map(camelotName),
          bpm: rule.bpm?.map(([min, max]) => ({ min, max })),
        },
      },
    };
  }
}
