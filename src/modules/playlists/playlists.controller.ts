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
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { IdPipe } from '../../platform/http/id.pipe';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { BlockErrors } from '../social/blocks.errors';
import { AccountsErrors } from '../accounts/accounts.errors';
import { TracksErrors } from '../tracks/tracks.errors';
import { CollaborationService } from './collaboration.service';
import {
  AddedTrackDto,
  AddTrackDto,
  CreatePlaylistDto,
  DuplicatePlaylistDto,
  InvitationDto,
  InvitationListDto,
  InviteDto,
  MovedTrackDto,
  MoveTrackDto,
  PlaylistChangeDto,
  PlaylistDto,
  PlaylistListDto,
  PlaylistOrderDto,
  ReorderDto,
  UpdatePlaylistDto,
} from './dto/playlist.dto';
import { CollaborationErrors, PlaylistErrors } from './playlists.errors';
import { PlaylistsService } from './playlists.service';

const ENTRY_NOTE =
  'Each entry shows who added the track and when. A track deleted from the catalogue leaves every playlist; one not visible to the reader (a private upload, processing failed) stays in its place with `available: false` and `track: null`. `track_count` and `duration_ms` (the sum of known durations; external links have none) count every entry.';

@ApiTags('playlists')
@Controller('playlists')
@ETagged()
export class PlaylistsController {
  constructor(
    private readonly playlists: PlaylistsService,
    private readonly collaboration: CollaborationService,
  ) {}

  @Post()
  @Access.user('library:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Create a playlist (you own it)',
    description:
      'playlist_limit_reached at LIMIT_PLAYLISTS (100) playlists owned, held by the database under concurrent creations. 201 with the playlist and its ETag.',
  })
  @ApiErrors(PlaylistErrors.playlistLimitReached)
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreatePlaylistDto): Promise<PlaylistDto> {
    return this.playlists.create(principal, dto);
  }

  @Get(':id')
  @Access.public({ scope: 'library:read' })
  @ApiOperation({
    summary: 'A playlist with its editors and its tracks in order',
    description: `A private playlist is playlist_not_found to anyone but its owner, its editors and users with an open invitation to it. \`role\` is yours. ${ENTRY_NOTE}`,
  })
  @ApiErrors(PlaylistErrors.playlistNotFound)
  get(@Param('id', IdPipe) id: string, @OptionalPrincipal() principal?: Principal): Promise<PlaylistDto> {
    return this.playlists.get(principal, id);
  }

  @Patch(':id')
  @Access.user('library:write')
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Edit name, description or visibility (owner)',
    description:
      'Checked in order: playlist_not_found, forbidden (editors and others), stale_version. Bumps the version.',
  })
  @ApiErrors(PlaylistErrors.playlistNotFound)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: UpdatePlaylistDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<PlaylistDto> {
    return this.playlists.update(principal, id, dto, ifMatch);
  }

  @Delete(':id')
  @Access.user('library:write')
  @AcceptsIfMatch()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a playlist (owner); its entries, editors and invitations go with it' })
  @ApiErrors(PlaylistErrors.playlistNotFound)
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<void> {
    await this.playlists.delete(principal, id, ifMatch);
  }

  @Post(':id/duplicate')
  @Access.user('library:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Copy a playlist you can see (any public one) into a new playlist of your own',
    description:
      'The copy holds the source’s tracks that are visible to you, in the same order, added by you now; it is private unless you say otherwise, named "<name> (copy)" by default, and counts toward LIMIT_PLAYLISTS (playlist_limit_reached). Editors are not copied.',
  })
  @ApiErrors(PlaylistErrors.playlistNotFound, PlaylistErrors.playlistLimitReached)
  duplicate(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: DuplicatePlaylistDto,
  ): Promise<PlaylistDto> {
    return this.playlists.duplicate(principal, id, dto);
  }

  // ---- tracks -----------------------------------------------------------------------------------

  @Post(':id/tracks')
  @Access.user('library:write')
  @Idempotent()
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Add a track at the end (owner or editor)',
    description:
      'Checked in order: playlist_not_found, forbidden, track_not_found (only tracks visible to you), stale_version (If-Match is optional here), track_already_in_playlist, playlist_full (LIMIT_PLAYLIST_TRACKS, 500, held under concurrent adds). Answers the new entry, the new version (ETag) and the track count.',
  })
  @ApiErrors(
    PlaylistErrors.playlistNotFound,
    TracksErrors.trackNotFound,
    PlaylistErrors.trackAlreadyInPlaylist,
    PlaylistErrors.playlistFull,
  )
  addTrack(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: AddTrackDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<AddedTrackDto> {
    return this.playlists.addTrack(principal, id, dto.track_id, ifMatch);
  }

  @Delete(':id/tracks/:track_id')
  @Access.user('library:write')
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Remove a track (owner or editor)',
    description: '200 with the new version (ETag); track_not_found when the track is not in the playlist.',
  })
  @ApiErrors(PlaylistErrors.playlistNotFound, TracksErrors.trackNotFound)
  removeTrack(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Param('track_id', IdPipe) trackId: string,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<PlaylistChangeDto> {
    return this.playlists.removeTrack(principal, id, trackId, ifMatch);
  }

  @Put(':id/tracks/order')
  @Access.user('library:write')
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Replace the order: every track of the playlist, each once (owner or editor)',
    description:
      'Checked in order: playlist_not_found, forbidden, stale_version (If-Match not current), track_set_mismatch (not exactly the playlist’s tracks). Bumps the version once. For one track, prefer POST /playlists/:id/tracks/move.',
  })
  @ApiErrors(PlaylistErrors.playlistNotFound, PlaylistErrors.trackSetMismatch)
  reorder(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: ReorderDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<PlaylistOrderDto> {
    return this.playlists.reorder(principal, id, dto.track_ids, ifMatch);
  }

  @Post(':id/tracks/move')
  @Access.user('library:write')
  @HttpCode(HttpStatus.OK)
  @AcceptsIfMatch()
  @ApiOperation({
    summary:
      'Move one track just before another (before_track_id: null moves it to the end), without resending the order',
    description:
      'For mobile clients. Positions are fractional keys (the fractional-indexing package), so a move is one SQL statement that rewrites one row, whatever the playlist’s length (after two indexed reads: the playlist with its members, and the keys of the new neighbours), applied only if the playlist is still at the version those keys were read at. With If-Match: stale_version when the playlist changed since that ETag. Without it, the move is applied to the latest order. track_set_mismatch when the track or the anchor is not in the playlist; validation_failed when they are the same. Answers the new version (ETag). In the rare case a key would grow past 40 characters the whole order gets fresh keys in the same step.',
  })
  @ApiErrors(PlaylistErrors.playlistNotFound, PlaylistErrors.trackSetMismatch)
  move(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: MoveTrackDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<MovedTrackDto> {
    return this.playlists.move(principal, id, dto.track_id, dto.before_track_id, ifMatch);
  }

  // ---- collaboration ----------------------------------------------------------------------------

  @Post(':id/invitations')
  @Access.user('library:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Invite a user to edit the playlist (owner); they get a mail and a live event',
    description:
      'Checked in order: playlist_not_found, forbidden (not the owner), validation_failed (yourself), user_not_found, you_blocked_user / user_blocked_you (a block either way), already_invited (open invitation, or already an editor), reinvite_cooldown (24 h, LIMIT_REINVITE_COOLDOWN_SECONDS, after a decline, an expiry, leaving or a removal; `retry_after` in the body), max_editors_reached (editors + open invitations ≥ LIMIT_PLAYLIST_EDITORS, counted by the database under concurrent invitations). The invitation expires after 7 days (LIMIT_INVITATION_SECONDS). The invitee gets a mail and, on open `GET /me/events` streams, a `playlist.invitation` event. A block either way later revokes the open invitations between the two users on playlists either of them owns and removes each as an editor of the other’s playlists.',
  })
  @ApiErrors(
    PlaylistErrors.playlistNotFound,
    AccountsErrors.userNotFound,
    BlockErrors.youBlockedUser,
    BlockErrors.userBlockedYou,
    CollaborationErrors.alreadyInvited,
    CollaborationErrors.reinviteCooldown,
    CollaborationErrors.maxEditorsReached,
  )
  invite(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: InviteDto,
  ): Promise<InvitationDto> {
    return this.collaboration.invite(principal, id, dto.user_id);
  }

  @Delete(':id/editors/:user_id')
  @Access.user('library:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove an editor or revoke an open invitation (owner), or leave (an editor, with your own id)',
    description:
      'Starts the 24 h re-invite cooldown for that user. Idempotent: 204 when the user was neither an editor nor invited. forbidden for anyone else.',
  })
  @ApiErrors(PlaylistErrors.playlistNotFound)
  async removeEditor(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Param('user_id', IdPipe) userId: string,
  ): Promise<void> {
    await this.collaboration.removeEditor(principal, id, userId);
  }
}

@ApiTags('playlists')
@Controller()
export class PlaylistListsController {
  constructor(
    private readonly playlists: PlaylistsService,
    private readonly collaboration: CollaborationService,
  ) {}

  @Get('me/playlists')
  @Access.user('library:read')
  @ApiOperation({
    summary: 'Playlists you own or edit, newest first',
    description: 'Each with its track count, total duration, version and your role.',
  })
  mine(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<PlaylistListDto> {
    return this.playlists.listMine(principal, query);
  }

  @Get('users/:id/playlists')
  @Access.public({ scope: 'library:read' })
  @ApiOperation({
    summary: 'A user’s public playlists, newest first',
    description:
      'Their private playlists are listed only to their members (you as owner, editor or invitee).',
  })
  @ApiErrors(AccountsErrors.userNotFound)
  ofUser(
    @Param('id', IdPipe) id: string,
    @Query() query: PageQueryDto,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<PlaylistListDto> {
    return this.playlists.listOwnedBy(principal, id, query);
  }

  @Get('me/playlist-invitations')
  @Access.user('library:read')
  @ApiOperation({
    summary: 'Your open invitations to edit playlists, newest first (expired ones are not listed)',
  })
  invitations(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<InvitationListDto> {
    return this.collaboration.mine(principal, query);
  }

  @Post('playlist-invitations/:id/accept')
  @Access.user('library:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Accept an invitation: you become an editor',
    description:
      'Idempotent (accepting again answers 200). invitation_not_found for an unknown invitation, someone else’s, or one declined or revoked; invitation_expired after 7 days (by the clock).',
  })
  @ApiErrors(CollaborationErrors.invitationNotFound, CollaborationErrors.invitationExpired)
  accept(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<InvitationDto> {
    return this.collaboration.accept(principal, id);
  }

  @Post('playlist-invitations/:id/decline')
  @Access.user('library:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Decline an invitation (idempotent)',
    description:
      'Starts the 24 h re-invite cooldown. invitation_not_found / invitation_expired as for accept.',
  })
  @ApiErrors(CollaborationErrors.invitationNotFound, CollaborationErrors.invitationExpired)
  decline(@CurrentPrincipal() principal: Principal, @Param('id', IdPipe) id: string): Promise<InvitationDto> {
    return this.collaboration.decline(principal, id);
  }
}
