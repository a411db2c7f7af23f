import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { LibraryEntryDto } from '../library/dto/library.dto';
import { LibraryErrors } from '../library/library.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import {
  AdvanceDto,
  ListenListDto,
  ListStationsQueryDto,
  RadioSessionDto,
  StartSessionDto,
  StationDetailDto,
  StationListDto,
  TrackPlaysDto,
} from './dto/radio.dto';
import { RadioErrors } from './radio.errors';
import { RadioService } from './radio.service';
import { StationsService } from './stations.service';

const PLAYABLE_NOTE =
  'Only tracks a listener may hear are ever played: ready uploads (not pending, processing or failed ones, not external links, not deleted ones).';

@ApiTags('radio')
@Controller('radio')
export class RadioController {
  constructor(
    private readonly stations: StationsService,
    private readonly radio: RadioService,
  ) {}

  @Get('stations')
  @Access.public({ scope: 'radio' })
  @ApiOperation({
    summary: 'Radio stations of one type: genres (alphabetical), artists or tracks (newest first)',
    description: `Station ids are \`genre:<name>\`, \`artist:<artist id>\` and \`track:<track id>\`. Only genres and artists with playable tracks are listed, and only playable tracks. ${PLAYABLE_NOTE}`,
  })
  listStations(@Query() query: ListStationsQueryDto): Promise<StationListDto> {
    return this.stations.list(query);
  }

  @Get('stations/:id')
  @Access.public({ scope: 'radio' })
  @ApiOperation({
    summary: 'One station and the rule it draws by',
    description:
      'A genre station plays that genre. An artist station plays the artist and up to 10 close artists (artists with tracks in the artist’s main genres). A track station opens with its seed, then plays tracks of similar tempo (±6 % of the seed’s BPM, or of half or double of it) in a compatible key (the same key, its relative major/minor, or a neighbour on the circle of fifths — Camelot ±1; a seed without a readable key drops the key rule, tracks without one never match it) in the seed’s genre or a related one. station_not_found for an unknown seed, a malformed id, or a seed with nothing playable. Ids with spaces are URL-encoded (`genre:boom%20bap`).',
  })
  @ApiErrors(RadioErrors.stationNotFound)
  station(@Param('id') id: string): Promise<StationDetailDto> {
    return this.stations.describe(id);
  }

  @Post('sessions')
  @Access.user('radio')
  @Idempotent()
  @ApiOperation({
    summary: 'Start listening to a station on a device',
    description: `201 with the session, its current track and the upcoming one. One live stream per user, across radio and on-demand playback: when another device of the caller is live (a radio heartbeat, a stream link or a play report within LIMIT_STREAM_HEARTBEAT_SECONDS, 60 s by the server’s clock) → concurrent_stream_limit; a session on the same device is taken over (ended), and one whose heartbeat lapsed is replaced. Holds under concurrent starts on any number of instances. Each track that starts playing is recorded in the listening history (GET /me/listens); it counts toward the track’s play count when it played at least 30 s (or to its end) before next or skip, once per listener and track per 10 minutes, never for its owner or a credited collaborator — the rule of POST /tracks/{id}/plays. ${PLAYABLE_NOTE}`,
  })
  @ApiErrors(RadioErrors.stationNotFound, RadioErrors.concurrentStreamLimit)
  start(@CurrentPrincipal() principal: Principal, @Body() dto: StartSessionDto): Promise<RadioSessionDto> {
    return this.radio.start(principal, dto);
  }

  @Get('sessions/:id')
  @Access.user('radio')
  @ApiOperation({
    summary: 'The session: the current track, the upcoming one, liveness and skips left this hour',
    description:
      'radio_session_not_found for an unknown or ended session, or another user’s. A like is `POST /radio/sessions/{id}/like`: the playing track is saved to the library.',
  })
  @ApiErrors(RadioErrors.radioSessionNotFound)
  get(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<RadioSessionDto> {
    return this.radio.get(principal, id);
  }

  @Post('sessions/:id/heartbeat')
  @Access.user('radio')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Keep the session live (send at least every 60 s while playing)',
    description:
      'A session whose last heartbeat is older than LIMIT_STREAM_HEARTBEAT_SECONDS no longer blocks the user’s other devices; until another device replaces it, a heartbeat makes it live again. next and skip count as heartbeats.',
  })
  @ApiErrors(RadioErrors.radioSessionNotFound)
  heartbeat(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
  ): Promise<RadioSessionDto> {
    return this.radio.heartbeat(principal, id);
  }

  @Post('sessions/:id/next')
  @Access.user('radio')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'The current track ended: play the upcoming one and draw a new upcoming track',
    description:
      'Never one of the session’s last 20 tracks while the station has more; on a smaller station, the track played longest ago. Not a skip (never limited). Send `track_id` (the track that ended) to make retries safe: when it is no longer current, nothing moves and the session is returned.',
  })
  @ApiErrors(RadioErrors.radioSessionNotFound)
  next(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: AdvanceDto,
  ): Promise<RadioSessionDto> {
    return this.radio.next(principal, id, dto);
  }

  @Post('sessions/:id/skip')
  @Access.user('radio')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Skip the current track (limited per plan per rolling hour)',
    description:
      'Skips per rolling hour of the server’s clock come from the caller’s plan (explorer 6, classic 6, plus 30, pro unlimited), read at each skip, so a plan change applies at the next one. Over the limit → skip_limit_reached with Retry-After / retry_after (seconds until the oldest skip of the hour leaves the window). A skip when the current track was already over (its duration elapsed since it started) is a `next`: not counted, never refused. `track_id` makes retries safe as for next (a retried skip is not counted twice). Holds under concurrent skips.',
  })
  @ApiErrors(RadioErrors.radioSessionNotFound, RadioErrors.skipLimitReached)
  skip(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: AdvanceDto,
  ): Promise<RadioSessionDto> {
    return this.radio.skip(principal, id, dto);
  }

  @Post('sessions/:id/like')
  @Access.user('library:write')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Like the playing track: it is saved to your library (201)',
    description:
      'The same save as `PUT /library/tracks/{track_id}` for the session’s current track. Checked in order: radio_session_not_found, track_not_found (the track was deleted while playing), track_already_saved, library_full.',
  })
  @ApiErrors(
    RadioErrors.radioSessionNotFound,
    TracksErrors.trackNotFound,
    LibraryErrors.trackAlreadySaved,
    LibraryErrors.libraryFull,
  )
  like(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<LibraryEntryDto> {
    return this.radio.like(principal, id);
  }

  @Delete('sessions/:id')
  @Access.user('radio')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Stop listening: ends the session (the device is free at once)' })
  @ApiErrors(RadioErrors.radioSessionNotFound)
  async end(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.radio.end(principal, id);
  }
}

@ApiTags('radio')
@Controller()
export class ListensController {
  constructor(private readonly radio: RadioService) {}

  @Get('me/listens')
  @Access.user('radio')
  @ApiOperation({ summary: 'The caller’s listening history, newest first (one entry per track played)' })
  listens(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<ListenListDto> {
    return this.radio.listens(principal, query);
  }

  @Get('tracks/:id/plays')
  @Access.user('catalog:read')
  @ApiOperation({
    summary: 'How many times the track was played on the radio (credited producers and admins)',
    description: 'Checked in order: track_not_found, not_credited_producer.',
  })
  @ApiErrors(TracksErrors.trackNotFound, TracksErrors.notCreditedProducer)
  plays(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<TrackPlaysDto> {
    return this.radio.plays(principal, id);
  }
}
