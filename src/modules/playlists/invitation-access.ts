import { defineResourceAccess } from '../../platform/access/resource-access';
import { CollaborationErrors } from './playlists.errors';

/**
 * Who may do what with a playlist invitation: it is its invitee's (the `owner` role here), who
 * sees it and answers it (accept or decline). Nobody else does — the playlist's owner withdraws an
 * invitation through the playlist (`playlistAccess`'s manageEditors), admins included — and
 * everyone else gets invitation_not_found, as for an unknown id.
 */
export const invitationAccess = defineResourceAccess<{ inviteeId: string }, 'see' | 'respond'>({
  relations: (invitation, principal) =>
    principal && invitation.inviteeId === principal.userId ? ['owner'] : [],
  actions: { see: ['owner'], respond: ['owner'] },
  see: 'see',
  notFound: CollaborationErrors.invitationNotFound,
});
