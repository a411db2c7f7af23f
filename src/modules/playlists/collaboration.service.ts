import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { newId } from '../../platform/ids';
import { MailService } from '../../platform/mail/mail.service';
import { RealtimeService } from '../../platform/realtime/realtime.service';
import { BlocksService } from '../social/blocks.service';
import { byCreation, decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { AccountsErrors } from '../accounts/accounts.errors';
import type { InvitationDto } from './dto/playlist.dto';
import { invitationAccess } from './invitation-access';
import { playlistAccess } from './playlist-access';
import { CollaborationErrors } from './playlists.errors';
import { PlaylistsRepository } from './playlists.repository';

/**
 * Collaborative playlists: the owner invites editors (a mail goes out with each invitation),
 * invitees accept or decline, the owner removes editors and editors leave. Every rule that
 * counts or compares invitations is decided under the playlist row's lock.
 */
@Injectable()
export class CollaborationService implements OnModuleInit {
  constructor(
    private readonly repo: PlaylistsRepository,
    private readonly mail: MailService,
    private readonly blocks: BlocksService,
    private readonly realtime: RealtimeService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** A block between two users withdraws what joins them on each other's playlists. */
  onModuleInit(): void {
    this.blocks.onBlock((tx, blocker, blocked) => this.repo.separate(tx, blocker, blocked, this.clock.now()));
  }

  /**
   * Checked in order: playlist_not_found, forbidden (owner only), validation_failed (inviting
   * yourself), user_not_found, you_blocked_user / user_blocked_you (a block either way, checked
   * under the pair's lock so a block cannot land in between), already_invited (an open invitation, or already an editor),
   * reinvite_cooldown (24 h after a decline, an expiry, leaving or a removal), max_editors_reached
   * (editors + open invitations ≥ LIMIT_PLAYLIST_EDITORS). The invitation and its mail job are
   * written together.
   */
  async invite(principal: Principal, playlistId: string, userId: string): Promise<InvitationDto> {
    const now = this.clock.now();
    playlistAccess.assert(principal, 'invite', await this.repo.find(playlistId, principal.userId, now));
    if (userId === principal.userId) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { user_id: ['you cannot invite yourself'] },
      });
    }
    if (!(await this.repo.userExists(userId))) throw new AppError(AccountsErrors.userNotFound);
    const { limits } = this.config;
    return this.repo.withLocked(playlistId, principal.userId, now, async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'invite', row);
      await this.blocks.lockPair(tx, principal.userId, userId);
      await this.blocks.assertNotBlocked(principal.userId, userId, tx, 'invite them');
      const state = await this.repo.invitationState(tx, playlistId, userId, now);
      if (state.editor || state.pending) throw new AppError(CollaborationErrors.alreadyInvited);
      const until = Math.max(
        state.cooldownUntil ? new Date(state.cooldownUntil).getTime() : 0,
        state.expiredAt ? addSeconds(new Date(state.expiredAt), limits.reinviteCooldownSeconds).getTime() : 0,
      );
      if (until > now.getTime()) {
        const retryAfter = Math.ceil((until - now.getTime()) / 1000);
        throw new AppError(CollaborationErrors.reinviteCooldown, {
          context: { retry_after: retryAfter },
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      if (state.seats >= limits.playlistEditors) throw new AppError(CollaborationErrors.maxEditorsReached);
      const invitation = {
        id: newId('pli'),
        playlistId,
        inviteeId: userId,
        inviterId: principal.userId,
        at: now,
        expiresAt: addSeconds(now, limits.invitationSeconds),
      };
      await this.repo.createInvitation(tx, invitation);
      const parties = await this.repo.mailParties(tx, userId, principal.userId);
      await this.mail.send(
        {
          to: parties.inviteeEmail,
          subject: `${parties.inviterName} invited you to edit the playlist "${playlist.name}"`,
          text: `Hi ${parties.inviteeName},\n\n${parties.inviterName} invited you to edit the playlist "${playlist.name}" with them.\nAccept or decline it in the app:\n${this.config.appUrl}/playlist-invitations/${invitation.id}\n\nThe invitation is valid for ${Math.round(limits.invitationSeconds / 86_400)} days.`,
        },
        tx,
      );
      const dto: InvitationDto = {
        id: invitation.id,
        playlist_id: playlistId,
        playlist_name: playlist.name,
        invitee_id: userId,
        inviter_id: principal.userId,
        status: 'pending',
        created_at: now.toISOString(),
        expires_at: invitation.expiresAt.toISOString(),
      };
      // delivered to the invitee's open GET /me/events streams when this transaction commits
      await this.realtime.publish(userId, 'playlist.invitation', dto, tx);
      return dto;
    });
  }

  async mine(principal: Principal, query: PageQueryDto): Promise<Page<InvitationDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.myInvitations(
      principal.userId,
      this.clock.now(),
      limit + 1,
      decodeCursor(query.cursor),
    );
    // the query narrows to the caller's invitations; the access helper decides what the list shows
    return toPage(
      invitationAccess.filter(principal, 'see', rows),
      limit,
      (r) => byCreation({ createdAt: new Date(r.createdAt), id: r.id }),
      (r) => ({
        id: r.id,
        playlist_id: r.playlistId,
        playlist_name: r.playlistName,
        invitee_id: r.inviteeId,
        inviter_id: r.inviterId,
        status: 'pending',
        created_at: new Date(r.createdAt).toISOString(),
        expires_at: new Date(r.expiresAt).toISOString(),
      }),
    );
  }

  /**
   * Accepting is idempotent (an accepted invitation answers 200 again). Checked in order:
   * invitation_not_found (unknown, someone else's, declined or revoked), invitation_expired.
   */
  accept(principal: Principal, invitationId: string): Promise<InvitationDto> {
    return this.respond(principal, invitationId, 'accepted');
  }

  /** Declining is idempotent too; it starts the 24 h re-invite cooldown. */
  decline(principal: Principal, invitationId: string): Promise<InvitationDto> {
    return this.respond(principal, invitationId, 'declined');
  }

  private async respond(
    principal: Principal,
    invitationId: string,
    answer: 'accepted' | 'declined',
  ): Promise<InvitationDto> {
    const found = invitationAccess.assert(principal, 'respond', await this.repo.findInvitation(invitationId));
    const now = this.clock.now();
    // the playlist's lock first (the order every change of its members takes), then the invitation's
    return this.repo.withLocked(found.playlistId, principal.userId, now, async (tx, playlist) => {
      const inv = invitationAccess.assert(
        principal,
        'respond',
        await this.repo.lockInvitation(tx, invitationId),
      );
      if (!playlist) throw new AppError(CollaborationErrors.invitationNotFound);
      const dto = (status: string): InvitationDto => ({
        id: inv.id,
        playlist_id: inv.playlistId,
        playlist_name: playlist.name,
        invitee_id: inv.inviteeId,
        inviter_id: found.inviterId,
        status,
        created_at: new Date(inv.createdAt).toISOString(),
        expires_at: new Date(inv.expiresAt).toISOString(),
      });
      if (inv.status === answer) return dto(answer);
      if (inv.status !== 'pending') {
        if (inv.status === 'expired') throw new AppError(CollaborationErrors.invitationExpired);
        throw new AppError(CollaborationErrors.invitationNotFound);
      }
      if (new Date(inv.expiresAt).getTime() <= now.getTime())
        throw new AppError(CollaborationErrors.invitationExpired);
      await this.repo.setInvitationStatus(tx, inv.id, answer, now);
      if (answer === 'accepted') {
        await this.repo.addEditor(tx, inv.playlistId, principal.userId, now);
        await this.repo.bump(tx, inv.playlistId, now);
      } else {
        await this.repo.setCooldown(
          tx,
          inv.playlistId,
          principal.userId,
          addSeconds(now, this.config.limits.reinviteCooldownSeconds),
        );
      }
      return dto(answer);
    });
  }

  /**
   * The owner removes an editor (or revokes an open invitation), or an editor leaves. Either
   * starts the 24 h re-invite cooldown. Idempotent: 204 when the user was neither.
   */
  async removeEditor(principal: Principal, playlistId: string, userId: string): Promise<void> {
    const now = this.clock.now();
    await this.repo.withLocked(playlistId, principal.userId, now, async (tx, row) => {
      const leaving =
        !!row && userId === principal.userId && !playlistAccess.roles(row, principal).has('owner');
      playlistAccess.assert(principal, leaving ? 'leave' : 'manageEditors', row);
      const removed = await this.repo.removeMember(tx, playlistId, userId, now);
      if (!removed.editor && !removed.invitation) return;
      await this.repo.setCooldown(
        tx,
        playlistId,
        userId,
        addSeconds(now, this.config.limits.reinviteCooldownSeconds),
      );
      if (removed.editor) await this.repo.bump(tx, playlistId, now);
    });
  }
}
