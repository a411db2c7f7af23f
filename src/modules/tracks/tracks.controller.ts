import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { IdPipe } from '../../platform/http/id.pipe';
import { idempotencyCheckpoint } from '../../platform/idempotency/idempotency.interceptor';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { AccountsErrors } from '../accounts/accounts.errors';
import { ArtistsErrors } from '../artists/artists.errors';
import {
  CollaboratorListDto,
  CreateExternalTrackDto,
  ListTracksQueryDto,
  ReconDto,
  SetCollaboratorsDto,
  TrackDto,
  TrackListDto,
  UpdateTrackDto,
  UploadTrackFormDto,
} from './dto/track.dto';
import { TracksErrors } from './tracks.errors';
import { TracksService } from './tracks.service';

@ApiTags('tracks')
@Controller('tracks')
@ETagged()
@ApiExtraModels(UploadTrackFormDto, CreateExternalTrackDto)
export class TracksController {
  constructor(private readonly tracks: TracksService) {}

  @Post()
  @Access.user('catalog:write')
  @Idempotent()
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiBody({
    description:
      'multipart/form-data: the file in `audio` (WAV, FLAC or AIFF, ≥ 1 s, ≤ 256 MB, streamed) with the text fields; or JSON with `external_url` for a track that lives elsewhere (never fingerprinted).',
    schema: {
      oneOf: [{ $ref: getSchemaPath(UploadTrackFormDto) }, { $ref: getSchemaPath(CreateExternalTrackDto) }],
    },
  })
  @ApiOperation({
    summary:
      'Upload a track (multipart) or add an external-link track (JSON); 201 with processing_status "pending"',
    description:
      'Upload checks, in order: file size while streaming (file_too_large), text fields (missing_track_metadata, validation_failed), format from the bytes (unsupported_audio_format), header (corrupt_audio_file), duration (track_too_short). A background job then fingerprints the audio: pending → processing → ready | failed.',
  })
  @ApiErrors(
    TracksErrors.fileTooLarge,
    TracksErrors.missingTrackMetadata,
    TracksErrors.unsupportedAudioFormat,
    TracksErrors.corruptAudioFile,
    TracksErrors.trackTooShort,
  )
  create(
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Body() body: unknown,
  ): Promise<TrackDto> {
    return req.isMultipart()
      ? this.tracks.upload(principal, req.parts(), idempotencyCheckpoint(req))
      : this.tracks.createExternal(principal, body);
  }

  @Get()
  @Access.public({ scope: 'catalog:read' })
  @ApiOperation({
    summary: 'Tracks (ready uploads and external links), newest first; filter by artist, genre, words',
  })
  @ApiErrors(ArtistsErrors.artistNotFound)
  list(@Query() query: ListTracksQueryDto): Promise<TrackListDto> {
    return this.tracks.list(query);
  }

  @Get(':id')
  @Access.public({ scope: 'catalog:read' })
  @ApiOperation({ summary: 'A track with its processing status and credits' })
  @ApiErrors(TracksErrors.trackNotFound)
  get(@Param('id', IdPipe) id: string, @OptionalPrincipal() principal?: Principal): Promise<TrackDto> {
    return this.tracks.get(id, principal);
  }

  @Patch(':id')
  @Access.user('catalog:write')
  @AcceptsIfMatch()
  @ApiOperation({ summary: 'Edit the metadata (owner)' })
  @ApiErrors(TracksErrors.trackNotFound)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: UpdateTrackDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<TrackDto> {
    return this.tracks.update(principal, id, dto, ifMatch);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Access.user('catalog:write')
  @ApiOperation({
    summary: 'Delete a track (owner or admin); its file goes when no other track uses it',
    description:
      'A track that was sold stays (track_has_licenses): any license, active or revoked, any paid purchase, or a checkout still open (its payment may yet succeed; the body has `checkout_open: true` — retry after its 30 min window). Checkouts never paid and past their window are deleted with the track.',
  })
  @ApiErrors(TracksErrors.trackNotFound, TracksErrors.trackHasLicenses)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.tracks.delete(principal, id);
  }

  @Put(':id/collaborators')
  @Access.user('catalog:write')
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Replace the credits and royalty splits (owner); the owner is always credited',
    description: 'Splits must add up to 100 (±0.01). An owner left out of the list is credited with 0 %.',
  })
  @ApiErrors(TracksErrors.trackNotFound, TracksErrors.splitPercentagesInvalid, AccountsErrors.userNotFound)
  async setCollaborators(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: SetCollaboratorsDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<CollaboratorListDto> {
    return { data: await this.tracks.setCollaborators(principal, id, dto, ifMatch) };
  }

  @Get(':id/recon')
  @Access.user('catalog:read')
  @ApiOperation({
    summary: 'Audio Recon: other tracks whose audio matches this one at ≥ 80 % (credited producers, admins)',
    description:
      'Checked in order: track_not_found, not_credited_producer. When the track’s primary artist is not verified the answer is `{ artist_verified: false, matches: [] }`.',
  })
  @ApiErrors(TracksErrors.trackNotFound, TracksErrors.notCreditedProducer)
  recon(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<ReconDto> {
    return this.tracks.recon(principal, id);
  }
}
