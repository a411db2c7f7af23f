import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdPipe } from '../../platform/http/id.pipe';
import { RadioErrors } from '../radio/radio.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import {
  MediaQueryDto,
  PeaksDto,
  PeaksQueryDto,
  PlayDto,
  ReportPlayDto,
  StreamLinkDto,
  StreamQueryDto,
  VoiceTagStateDto,
} from './dto/listening.dto';
import { ListeningErrors } from './listening.errors';
import { ListeningService } from './listening.service';
import { PLAYER_CSP, PLAYER_SCRIPT } from './player-page';

const WHO_HEARS =
  'Who hears what: whoever may see the track (anyone a ready upload; its credited producers and admins a track still processing), unless the track’s owner and the caller blocked each other (track_not_found). The owner, credited collaborators, holders of an active license and admins hear the clean rendition; every other listener hears the tagged one when the producer has a voice tag. Renditions are AAC-LC 160 kbit/s, 44.1 kHz stereo in MP4 (audio/mp4, index first), which every browser’s <audio> element and both mobile platforms play and seek by byte range.';

@ApiTags('listening')
@Controller()
export class ListeningController {
  constructor(private readonly listening: ListeningService) {}

  @Get('tracks/:id/stream')
  @Access.public({ scope: 'catalog:read' })
  @ApiOperation({
    summary: 'Play a track: a redirect to a short-lived signed media URL',
    description: `302 to a signed media URL (\`GET /media?token=…\`) valid LIMIT_STREAM_LINK_SECONDS (300 s), bound to the caller and the rendition — so an \`<audio src>\` can point here directly. With \`Accept: application/json\` the answer is 200 with the same URL in the body instead (for clients that fetch with an Authorization header and hand the URL to a player). A signed-in caller’s \`device_id\` (else the device \`default\`) is kept live: one live stream per user across radio and on-demand playback; another device live within LIMIT_STREAM_HEARTBEAT_SECONDS → concurrent_stream_limit, the same device takes over. Anonymous callers may stream public tracks. ${WHO_HEARS} Checks in order: the track (track_not_found), its rendition for this caller (stream_not_ready, with Retry-After while it is being made; an external-link track has no stream here), the device (concurrent_stream_limit).`,
  })
  @ApiResponse({ status: 302, description: 'Location: the signed media URL.' })
  @ApiErrors(TracksErrors.trackNotFound, ListeningErrors.streamNotReady, RadioErrors.concurrentStreamLimit)
  async stream(
    @CurrentPrincipal() principal: Principal | undefined,
    @Param('id', IdPipe) id: string,
    @Query() query: StreamQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamLinkDto | undefined> {
    const { path, ...link } = await this.listening.stream(principal, id, query.device_id);
    void reply.header('Cache-Control', 'private, no-store');
    if ((request.headers.accept ?? '').includes('application/json')) return link;
    // relative: the media is on the origin the player asked (APP_URL names it in the JSON form)
    void reply.header('Location', path).status(HttpStatus.FOUND);
    return link;
  }

  @Get('media')
  @Access.anonymous()
  @ApiProduces('audio/mp4')
  @ApiOperation({
    summary: 'The media of a signed stream link (the token is the credential), with byte ranges',
    description:
      'Accept-Ranges: bytes; a single `Range` → 206 with Content-Range (`If-Range` with the strong ETag keeps it, anything else gets the whole file); a range starting beyond the end → range_not_satisfiable with `Content-Range: bytes */<size>`; `If-None-Match` → 304; HEAD answers the headers. The link expires after LIMIT_STREAM_LINK_SECONDS, when altered, when the caller’s account is suspended or when its rendition was replaced (stream_link_expired): ask GET /tracks/{id}/stream again. The original upload is never served here, only through license download links.',
  })
  @ApiResponse({ status: 206, description: 'The requested byte range.' })
  @ApiErrors(ListeningErrors.streamLinkExpired, ListeningErrors.rangeNotSatisfiable)
  media(
    @Query() query: MediaQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return this.listening.media(request, reply, query.token ?? '');
  }

  @Get('tracks/:id/peaks')
  @Access.public({ scope: 'catalog:read' })
  @ApiOperation({
    summary: 'The waveform: min/max peaks in BBC audiowaveform’s JSON (version 2)',
    description:
      'peaks.js and wavesurfer.js draw it as it is. One channel (min and max over the channels), 8 bits. `pixels` (64–4,000, default 1,000) resamples: each point is the min of mins and max of maxes of the span it covers. peaks_not_found before they were made (processing) and for an external-link track. ETag and Cache-Control (public for a public track); If-None-Match → 304.',
  })
  @ApiErrors(TracksErrors.trackNotFound, ListeningErrors.peaksNotFound)
  async peaks(
    @CurrentPrincipal() principal: Principal | undefined,
    @Param('id', IdPipe) id: string,
    @Query() query: PeaksQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PeaksDto | undefined> {
    const peaks = await this.listening.peaks(principal, id, query.pixels);
    void reply.header('ETag', peaks.etag);
    void reply.header('Cache-Control', peaks.public ? 'public, max-age=3600' : 'private, max-age=3600');
    if (request.headers['if-none-match'] === peaks.etag) {
      void reply.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return peaks.body;
  }

  @Post('tracks/:id/plays')
  @Access.user('radio')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Report a play (history, play count), and keep the device live',
    description:
      'Every report is kept in the listening history (GET /me/listens). It counts toward the track’s play count when at least 30 s were heard (or the whole track, if shorter), the listener is neither its owner nor a credited collaborator, and the listener’s last counted play of this track is more than 10 minutes old — decided in one statement, so concurrent reports of one listen count once. The device is kept live like a stream (concurrent_stream_limit). Checks in order: the track (track_not_found), playable (stream_not_ready), the device.',
  })
  @ApiErrors(TracksErrors.trackNotFound, ListeningErrors.streamNotReady, RadioErrors.concurrentStreamLimit)
  play(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: ReportPlayDto,
  ): Promise<PlayDto> {
    return this.listening.play(principal, id, dto);
  }

  @Get('tracks/:id/player')
  @Access.public({ scope: 'catalog:read' })
  @ApiProduces('text/html')
  @ApiOperation({
    summary: 'A small web page that plays the track and draws its waveform',
    description:
      'An `<audio>` element on GET /tracks/{id}/stream and the waveform from GET /tracks/{id}/peaks, with a script of this origin only (its own Content-Security-Policy). The same visibility as GET /tracks/{id} (track_not_found).',
  })
  @ApiErrors(TracksErrors.trackNotFound)
  async player(
    @CurrentPrincipal() principal: Principal | undefined,
    @Param('id', IdPipe) id: string,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const html = await this.listening.playerPage(principal, id);
    return reply
      .header('Content-Security-Policy', PLAYER_CSP)
      .header('Cache-Control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html);
  }

  @Get('player.js')
  @Access.anonymous()
  @ApiProduces('application/javascript')
  @ApiOperation({ summary: 'The script of the track page (GET /tracks/{id}/player)' })
  playerScript(@Res() reply: FastifyReply): FastifyReply {
    return reply
      .header('Cache-Control', 'public, max-age=300')
      .type('application/javascript; charset=utf-8')
      .send(PLAYER_SCRIPT);
  }

  @Get('me/voice-tag')
  @Access.user('catalog:read')
  @ApiOperation({ summary: 'The caller’s voice tag (null: none)' })
  voiceTag(@CurrentPrincipal() principal: Principal): Promise<VoiceTagStateDto> {
    return this.listening.voiceTag(principal);
  }

  @Put('me/voice-tag')
  @Access.user('catalog:write')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    description:
      'multipart/form-data with the file in `audio`: WAV, FLAC or AIFF, at most LIMIT_VOICE_TAG_SECONDS (10 s).',
    schema: {
      type: 'object',
      required: ['audio'],
      properties: { audio: { type: 'string', format: 'binary' } },
    },
  })
  @ApiOperation({
    summary: 'Set the voice tag mixed into listeners’ renditions of the caller’s tracks',
    description:
      'The tag is mixed in at 0 s and every LIMIT_VOICE_TAG_INTERVAL_SECONDS (30 s) of a tagged rendition. The tagged renditions of the caller’s tracks are re-made in the background (idempotent jobs); meanwhile listeners get stream_not_ready with Retry-After. voice_tag_invalid for anything but a WAV, FLAC or AIFF of at most 10 s that decodes and is not silent.',
  })
  @ApiErrors(ListeningErrors.voiceTagInvalid)
  setVoiceTag(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<VoiceTagStateDto> {
    if (!request.isMultipart()) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { audio: ['send the file as multipart/form-data in the field "audio"'] },
      });
    }
    return this.listening.setVoiceTag(principal, request.parts());
  }

  @Delete('me/voice-tag')
  @Access.user('catalog:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove the voice tag (idempotent): listeners hear the clean renditions once they are re-made',
  })
  async deleteVoiceTag(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.listening.deleteVoiceTag(principal);
  }
}
