import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { TracksErrors } from '../tracks/tracks.errors';
import { BeatRequestErrors, SubmissionErrors } from './beat-requests.errors';
import { BeatRequestsService } from './beat-requests.service';
import {
  BeatRequestDto,
  BeatRequestListDto,
  CreateBeatRequestDto,
  ListBeatRequestsQueryDto,
  RenewBeatRequestDto,
  RequestTokensDto,
  SubmissionDto,
  SubmissionListDto,
  SubmitDto,
} from './dto/beat-request.dto';
import { RequestTokensService } from './request-tokens.service';
import { SubmissionsService } from './submissions.service';

@ApiTags('beat requests')
@Controller('beat-requests')
export class BeatRequestsController {
  constructor(
    private readonly requests: BeatRequestsService,
    private readonly submissions: SubmissionsService,
  ) {}

  @Post()
  @Access.user('requests:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Post a beat request, paid with monthly tokens (24 h = 1, 48 h = 2, 72 h = 3)',
    description:
      'Validation first (description_too_short, reference_track_required, invalid_reference_track), then the tokens: no_tokens_remaining at a balance of 0, insufficient_tokens when the balance is below the cost. The request and its ledger debit are written together or not at all; concurrent requests by one user take turns on their balance row.',
  })
  @ApiErrors(
    BeatRequestErrors.descriptionTooShort,
    BeatRequestErrors.referenceTrackRequired,
    BeatRequestErrors.invalidReferenceTrack,
    BeatRequestErrors.noTokensRemaining,
    BeatRequestErrors.insufficientTokens,
  )
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateBeatRequestDto,
  ): Promise<BeatRequestDto> {
    return this.requests.create(principal, dto);
  }

  @Get()
  @Access.public({ scope: 'requests:read' })
  @ApiOperation({
    summary: 'Beat requests, newest first: active (default) or expired; mine=true for the caller’s own',
    description: 'Anyone can browse; `mine=true` needs a signed-in caller (unauthenticated otherwise).',
  })
  list(
    @Query() query: ListBeatRequestsQueryDto,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<BeatRequestListDto> {
    return this.requests.list(principal, query);
  }

  @Get(':id')
  @Access.public({ scope: 'requests:read' })
  @ApiOperation({
    summary: 'One beat request, with its status (active / expired by the clock) and submission count',
  })
  @ApiErrors(BeatRequestErrors.requestNotFound)
  get(@Param('id', IdPipe) id: string): Promise<BeatRequestDto> {
    return this.requests.get(id);
  }

  @Delete(':id')
  @Access.user('requests:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a request (creator only)',
    description:
      'An active request gives its tokens back as a refund entry, never above the monthly allowance; an expired one refunds nothing. Its submissions go with it.',
  })
  @ApiErrors(BeatRequestErrors.requestNotFound, BeatRequestErrors.notRequestOwner)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<void> {
    await this.requests.delete(principal, id);
  }

  @Post(':id/renew')
  @Access.user('requests:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Renew an expired request for 1 token, within 30 days of its expiry',
    description:
      'Checked in order: request_not_found, not_request_owner, request_still_active, renewal_window_expired, no_token_for_renewal. The new window starts now.',
  })
  @ApiErrors(
    BeatRequestErrors.requestNotFound,
    BeatRequestErrors.notRequestOwner,
    BeatRequestErrors.requestStillActive,
    BeatRequestErrors.renewalWindowExpired,
    BeatRequestErrors.noTokenForRenewal,
  )
  renew(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: RenewBeatRequestDto,
  ): Promise<BeatRequestDto> {
    return this.requests.renew(principal, id, dto.duration_hours);
  }

  @Post(':id/submissions')
  @Access.user('requests:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Submit one of your tracks (owned or credited) to a request',
    description:
      'Checked in exactly this order: request_not_found, request_expired, self_submission_blocked, track_not_found, not_track_owner, track_not_platform_hosted, fingerprint_not_completed, duplicate_submission, submission_limit_reached (5 per producer per request), duplicate_audio_detected (≥ 95 % fingerprint similarity to a track already submitted to this request; the error context names it). Submissions to one request take turns on its row, so both limits hold under concurrency.',
  })
  @ApiErrors(
    BeatRequestErrors.requestNotFound,
    BeatRequestErrors.requestExpired,
    SubmissionErrors.selfSubmissionBlocked,
    TracksErrors.trackNotFound,
    SubmissionErrors.notTrackOwner,
    SubmissionErrors.trackNotPlatformHosted,
    SubmissionErrors.fingerprintNotCompleted,
    SubmissionErrors.duplicateSubmission,
    SubmissionErrors.submissionLimitReached,
    SubmissionErrors.duplicateAudioDetected,
  )
  submit(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: SubmitDto,
  ): Promise<SubmissionDto> {
    return this.submissions.submit(principal, id, dto.track_id);
  }

  @Get(':id/submissions')
  @Access.user('requests:read')
  @ApiOperation({ summary: 'Submissions, newest first: the creator sees all, a producer their own' })
  @ApiErrors(BeatRequestErrors.requestNotFound)
  listSubmissions(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<SubmissionListDto> {
    return this.submissions.list(principal, id, query);
  }
}

@ApiTags('beat requests')
@Controller('me')
export class RequestTokensController {
  constructor(private readonly tokens: RequestTokensService) {}

  @Get('request-tokens')
  @Access.user('requests:read')
  @ApiOperation({
    summary: 'The caller’s request tokens: balance, monthly allowance, next reset and this month’s ledger',
    description:
      'The allowance comes from the plan (explorer 1, classic 1, plus 3, pro 5) and is granted on the first token operation of each UTC month — exactly once; unused tokens expire with a reset entry. A plan change resets the balance to the new allowance.',
  })
  get(@CurrentPrincipal() principal: Principal): Promise<RequestTokensDto> {
    return this.tokens.summary(principal.userId);
  }
}
