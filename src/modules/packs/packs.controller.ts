import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdPipe } from '../../platform/http/id.pipe';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { StorageService } from '../../platform/storage/storage.service';
import { ListeningErrors } from '../listening/listening.errors';
import { PlaylistErrors } from '../playlists/playlists.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import {
  CreatePackDto,
  CreatePackLinkDto,
  PackDto,
  PackLinkAnalyticsDto,
  PackLinkDto,
  PackLinkListDto,
  PackLinkQueryDto,
  PackListDto,
  PackPlayDto,
  PackPlayResultDto,
  PackTrackIdsDto,
  PublicPackDto,
  UpdatePackDto,
} from './dto/pack.dto';
import { PackLinksService, type Visitor } from './pack-links.service';
import { PACK_PAGE_CSP, PACK_PAGE_SCRIPT } from './pack-page';
import { PackErrors } from './packs.errors';
import { PacksService } from './packs.service';

const LINK_CHECKS =
  'No account needed. Checked first, in order: pack_link_not_found (unknown or revoked slug), pack_link_expired (at or after expires_at), access_code_required (the link has a code and X-Access-Code is missing), access_code_invalid (a wrong code; more than LIMIT_ACCESS_CODE_ATTEMPTS (10) wrong codes per link and IP in 15 minutes → too_many_requests with Retry-After, for every instance, a right code included, until the oldest wrong one leaves the window). Visits are counted for the link’s analytics (never the owner’s own, when the request carries the owner’s token); a failure to record never fails the request.';

const ACCESS_CODE_HEADER = ApiHeader({
  name: 'X-Access-Code',
  required: false,
  description: 'The link’s access code, when it has one.',
});

@ApiTags('packs')
@Controller('packs')
export class PacksController {
  constructor(private readonly packs: PacksService) {}

  @Post()
  @Access.user('catalog:write')
  @ApiOperation({
    summary: 'Create a pack (a folder of your beats to share through private links)',
    description:
      'Names are unique among your packs (pack_name_conflict, by a unique index). At most LIMIT_PACKS_PER_USER (100) packs: beyond, validation_failed on `name` (counted under your lock, so concurrent creations cannot pass it).',
  })
  @ApiErrors(PackErrors.packNameConflict, GeneralErrors.validationFailed)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreatePackDto): Promise<PackDto> {
    return this.packs.create(principal, dto);
  }

  @Get()
  @Access.user('catalog:read')
  @ApiOperation({ summary: 'Your packs, newest first (cursor pagination)' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<PackListDto> {
    return this.packs.list(principal, query);
  }

  @Get(':id')
  @Access.user('catalog:read')
  @ApiOperation({
    summary: 'A pack of yours with its tracks in order',
    description: 'Anyone else’s: pack_not_found.',
  })
  @ApiErrors(PackErrors.packNotFound)
  get(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<PackDto> {
    return this.packs.get(principal, id);
  }

  @Patch(':id')
  @Access.user('catalog:write')
  @ApiOperation({ summary: 'Rename a pack or change its description' })
  @ApiErrors(PackErrors.packNotFound, PackErrors.packNameConflict)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: UpdatePackDto,
  ): Promise<PackDto> {
    return this.packs.update(principal, id, dto);
  }

  @Delete(':id')
  @Access.user('catalog:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a pack; its links stop working (pack_link_not_found)' })
  @ApiErrors(PackErrors.packNotFound)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.packs.delete(principal, id);
  }

  @Put(':id/tracks')
  @Access.user('catalog:write')
  @ApiOperation({
    summary: 'Set the pack’s tracks: exactly these, in this order',
    description:
      'Only tracks you own or are credited on (track_not_found, with `track_ids` naming the others); each once and at most LIMIT_PACK_TRACKS (50) (validation_failed). Under the pack’s row lock: concurrent sets take turns. Links show the ready ones that have not been sold exclusively.',
  })
  @ApiErrors(PackErrors.packNotFound, TracksErrors.trackNotFound, GeneralErrors.validationFailed)
  setTracks(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: PackTrackIdsDto,
  ): Promise<PackDto> {
    return this.packs.setTracks(principal, id, dto.track_ids);
  }

  @Post(':id/tracks/order')
  @Access.user('catalog:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Reorder the pack’s tracks',
    description: 'The body must hold exactly the pack’s tracks, each once: else track_set_mismatch.',
  })
  @ApiErrors(PackErrors.packNotFound, PlaylistErrors.trackSetMismatch)
  reorder(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: PackTrackIdsDto,
  ): Promise<PackDto> {
    return this.packs.reorder(principal, id, dto.track_ids);
  }

  @Post(':id/links')
  @Access.user('catalog:write')
  @ApiOperation({
    summary: 'Create a private link to the pack',
    description:
      'The slug is 144 random bits (base64url); `url` is the pack page. The access code is kept only as a keyed hash (HMAC-SHA256 with a key derived from the server secret): the answer shows `has_access_code`, never the code. `downloads`: none (listen only), tagged (what visitors hear: the voice-tagged rendition, or the clean one when you have no voice tag), original (your upload); `max_downloads` caps the downloads through the link (all tracks together).',
  })
  @ApiErrors(PackErrors.packNotFound)
  createLink(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: CreatePackLinkDto,
  ): Promise<PackLinkDto> {
    return this.packs.createLink(principal, id, dto);
  }

  @Get(':id/links')
  @Access.user('catalog:read')
  @ApiOperation({ summary: 'The pack’s links, revoked ones included (newest first)' })
  @ApiErrors(PackErrors.packNotFound)
  links(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<PackLinkListDto> {
    return this.packs.links(principal, id);
  }

  @Delete(':id/links/:link_id')
  @Access.user('catalog:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke a link (idempotent): its slug answers pack_link_not_found from now on',
  })
  @ApiErrors(PackErrors.packNotFound, PackErrors.packLinkNotFound)
  async revokeLink(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Param('link_id', IdPipe) linkId: string,
  ): Promise<void> {
    await this.packs.revokeLink(principal, id, linkId);
  }

  @Get(':id/links/:link_id/analytics')
  @Access.user('catalog:read')
  @ApiOperation({
    summary: 'What the link’s visitors did, per day and track',
    description:
      'Per day (UTC, newest first): pack page views, distinct visitors (a salted hash of the IP, the salt changing daily; no IP is kept), qualified plays (≥ 30 s heard, or the whole track) and downloads, and the same per track. Your own visits are not counted. When the analytics store cannot be read in time (a lock, a timeout, an outage) the answer is 200 `{available: false, reason}` — the pack and its links keep working.',
  })
  @ApiErrors(PackErrors.packNotFound, PackErrors.packLinkNotFound)
  analytics(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Param('link_id', IdPipe) linkId: string,
  ): Promise<PackLinkAnalyticsDto> {
    return this.packs.analytics(principal, id, linkId);
  }
}

@ApiTags('packs')
@Controller()
export class PackLinksController {
  constructor(
    private readonly links: PackLinksService,
    private readonly storage: StorageService,
  ) {}

  @Get('pack-links/:slug')
  @Access.public({ scope: 'catalog:read' })
  @ACCESS_CODE_HEADER
  @ApiOperation({
    summary: 'Open a pack link: the pack’s name and its tracks with stream links and waveforms',
    description: `${LINK_CHECKS} Tracks: the pack’s ready uploads in order, without those sold exclusively (they leave every link at once), each with an anonymous signed stream link (GET /media, LIMIT_STREAM_LINK_SECONDS) to the voice-tagged rendition (the clean one when the producer has no voice tag) and its peaks at \`pixels\`.`,
  })
  @ApiErrors(
    PackErrors.packLinkNotFound,
    PackErrors.packLinkExpired,
    PackErrors.accessCodeRequired,
    PackErrors.accessCodeInvalid,
    GeneralErrors.tooManyRequests,
  )
  view(
    @Param('slug') slug: string,
    @Query() query: PackLinkQueryDto,
    @Req() request: FastifyRequest,
    @Headers('x-access-code') code: string | undefined,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<PublicPackDto> {
    return this.links.view(slug, visitorOf(request, principal, code), query.pixels);
  }

  @Post('pack-links/:slug/tracks/:track_id/plays')
  @Access.public({ scope: 'catalog:read' })
  @HttpCode(HttpStatus.OK)
  @ACCESS_CODE_HEADER
  @ApiOperation({
    summary: 'Report a play through a pack link (its analytics)',
    description: `${LINK_CHECKS} Then track_not_found for a track the link does not show. A play qualifies at ≥ 30 s heard (or the whole track, if shorter) — the listening module’s rule; it does not touch the track’s public play count.`,
  })
  @ApiErrors(
    PackErrors.packLinkNotFound,
    PackErrors.packLinkExpired,
    PackErrors.accessCodeRequired,
    PackErrors.accessCodeInvalid,
    TracksErrors.trackNotFound,
  )
  play(
    @Param('slug') slug: string,
    @Param('track_id', IdPipe) trackId: string,
    @Body() dto: PackPlayDto,
    @Req() request: FastifyRequest,
    @Headers('x-access-code') code: string | undefined,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<PackPlayResultDto> {
    return this.links.play(slug, trackId, dto.played_seconds, visitorOf(request, principal, code));
  }

  @Get('pack-links/:slug/tracks/:track_id/download')
  @Access.public({ scope: 'catalog:read' })
  @ACCESS_CODE_HEADER
  @ApiProduces('audio/mp4', 'audio/wav', 'audio/flac', 'audio/aiff')
  @ApiOperation({
    summary: 'Download a track through a pack link, as the link allows',
    description: `${LINK_CHECKS} Then track_not_found (not in the link), downloads_disabled (the link’s downloads are \`none\`), stream_not_ready (a tagged rendition being re-made), downloads_disabled again once max_downloads downloads went through the link (one conditional update: never more, whatever the concurrency). \`tagged\` serves the rendition visitors hear (AAC in MP4), \`original\` the uploaded file. Streamed, or 302 to a short-lived presigned URL with S3 storage.`,
  })
  @ApiResponse({
    status: 302,
    description: 'Redirect to a short-lived presigned URL of the file (S3 storage).',
  })
  @ApiErrors(
    PackErrors.packLinkNotFound,
    PackErrors.packLinkExpired,
    PackErrors.accessCodeRequired,
    PackErrors.accessCodeInvalid,
    TracksErrors.trackNotFound,
    PackErrors.downloadsDisabled,
    ListeningErrors.streamNotReady,
  )
  async download(
    @Param('slug') slug: string,
    @Param('track_id', IdPipe) trackId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Headers('x-access-code') code: string | undefined,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<FastifyReply> {
    const file = await this.links.download(slug, trackId, visitorOf(request, principal, code));
    void reply.header('Cache-Control', 'private, no-store');
    if (file.redirect) return reply.redirect(file.redirect, 302);
    return reply
      .header('Content-Type', file.meta.contentType)
      .header('Content-Disposition', `attachment; filename="${file.meta.filename}"`)
      .header('Content-Length', String(file.size))
      .send(await this.storage.read(file.sha256));
  }

  @Get('pack-links/:slug/page')
  @Access.anonymous()
  @ApiProduces('text/html')
  @ApiOperation({
    summary: 'The pack page for visitors: asks for the access code, plays the tracks, draws their waveforms',
    description:
      'A small page of this origin only (its own Content-Security-Policy); its script (GET /pack-page.js) calls GET /pack-links/{slug} with X-Access-Code. The page itself reveals nothing of the pack.',
  })
  page(@Param('slug') slug: string, @Res() reply: FastifyReply): FastifyReply {
    return reply
      .header('Content-Security-Policy', PACK_PAGE_CSP)
      .header('Cache-Control', 'no-cache')
      .header('Referrer-Policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(this.links.page(slug));
  }

  @Get('pack-page.js')
  @Access.anonymous()
  @ApiProduces('application/javascript')
  @ApiOperation({ summary: 'The script of the pack page (GET /pack-links/{slug}/page)' })
  script(@Res() reply: FastifyReply): FastifyReply {
    return reply
      .header('Cache-Control', 'public, max-age=300')
      .type('application/javascript; charset=utf-8')
      .send(PACK_PAGE_SCRIPT);
  }
}

const visitorOf = (
  request: FastifyRequest,
  principal: Principal | undefined,
  code: string | undefined,
): Visitor => ({
  principal,
  ip: request.ip,
  accessCode: code,
});
