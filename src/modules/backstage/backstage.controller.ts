import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { ArtistsErrors } from '../artists/artists.errors';
import { BackstageErrors } from './backstage.errors';
import { BackstageService } from './backstage.service';
import {
  BackstageRequestDto,
  BackstageRequestListDto,
  CreateBackstageRequestDto,
  DecisionDto,
  EligibilityDto,
  ListBackstageQueryDto,
} from './dto/backstage.dto';

@ApiTags('producer program')
@Controller('backstage')
export class BackstageController {
  constructor(private readonly backstage: BackstageService) {}

  @Get('eligibility')
  @Access.user('account:read')
  @ApiOperation({
    summary: 'Whether the caller can send a producer-program request now, and if not why',
    description:
      'block_reason: missing_permission (no backstage_requests.create), request_pending (with blocking_request_id), request_revoked (appeal at contact_url).',
  })
  eligibility(@CurrentPrincipal() principal: Principal): Promise<EligibilityDto> {
    return this.backstage.eligibility(principal.userId);
  }

  @Post('requests')
  @Access.user('account:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Ask to become an artist, verify your artist profile, or claim one',
    description:
      'Fields: beats_link is required for become-artist and claim-artist; artist_id for verify-artist (your own profile) and claim-artist. Then, in order: forbidden (permission backstage_requests.create, held by every verified user unless an admin revoked it), backstage_request_pending (beats revoked), backstage_request_revoked — both block every type — and artist_not_found. One pending request per user, also under concurrent requests.',
  })
  @ApiErrors(
    GeneralErrors.forbidden,
    BackstageErrors.requestPending,
    BackstageErrors.requestRevoked,
    ArtistsErrors.artistNotFound,
  )
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateBackstageRequestDto,
  ): Promise<BackstageRequestDto> {
    return this.backstage.create(principal, dto);
  }

  @Get('requests')
  @Access.user('account:read')
  @ApiOperation({ summary: 'The caller’s producer-program requests, newest first, with decisions and notes' })
  listOwn(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<BackstageRequestListDto> {
    return this.backstage.listOwn(principal, query);
  }
}

/** Admins only: everyone else is answered route_not_found. */
@ApiTags('admin')
@Controller('admin/backstage/requests')
@Access.admin()
export class BackstageAdminController {
  constructor(private readonly backstage: BackstageService) {}

  @Get()
  @ApiOperation({ summary: 'Producer-program requests, newest first, optionally by status' })
  list(@Query() query: ListBackstageQueryDto): Promise<BackstageRequestListDto> {
    return this.backstage.list(query);
  }

  @Post(':id/approve')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve a pending request (audit-logged with the notes)',
    description:
      'Approving verify-artist or claim-artist marks the artist verified, which opens its Audio Recon matches. A request that is no longer pending → stale_version.',
  })
  @ApiErrors(BackstageErrors.requestNotFound, GeneralErrors.staleVersion)
  approve(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: DecisionDto,
  ): Promise<BackstageRequestDto> {
    return this.backstage.decide(actor, id, 'approve', dto.notes);
  }

  @Post(':id/deny')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Deny a pending request (audit-logged with the notes); the user may apply again' })
  @ApiErrors(BackstageErrors.requestNotFound, GeneralErrors.staleVersion)
  deny(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: DecisionDto,
  ): Promise<BackstageRequestDto> {
    return this.backstage.decide(actor, id, 'deny', dto.notes);
  }

  @Post(':id/revoke')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Revoke a pending or approved request (audit-logged with the notes)',
    description:
      'A revoked request blocks every new request of that user (they appeal through contact). Revoking an approved verify/claim request takes the artist’s verification back.',
  })
  @ApiErrors(BackstageErrors.requestNotFound, GeneralErrors.staleVersion)
  revoke(
    @CurrentPrincipal() actor: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: DecisionDto,
  ): Promise<BackstageRequestDto> {
    return this.backstage.decide(actor, id, 'revoke', dto.notes);
  }
}
