import { defineResourceAccess, type Role } from '../../platform/access/resource-access';
import type { Principal } from '../../platform/access/principal';
import { PlaylistErrors } from './playlists.errors';
import type { PlaylistMembers } from './playlists.repository';

export type PlaylistAction =
  | 'read'
  | 'editTracks'
  | 'editDetails'
  | 'invite'
  | 'manageEditors'
  | 'leave'
  | 'delete';

/**
 * Who may do what with a playlist — the one place these rules live (lists included). The owner
 * does everything; editors change the tracks and may leave; an invitee may look at a private
 * playlist until the invitation is answered; anyone may read a public one. Everyone else gets
 * playlist_not_found for a private playlist and forbidden for an action beyond their role.
 */
export const playlistAccess = defineResourceAccess<PlaylistMembers, PlaylistAction>({
  relations: (p, principal) => {
    const roles: Role[] = [];
    if (!principal) return roles;
    if (p.ownerId === principal.userId) roles.push('owner');
    if (p.editorIds.includes(principal.userId)) roles.push('editor');
    if (p.inviteeIds.includes(principal.userId)) roles.push('viewer');
    return roles;
  },
  isPublic: (p) => p.visibility === 'public',
  actions: {
    read: 'public',
    editTracks: ['owner', 'editor'],
    editDetails: ['owner'],
    invite: ['owner'],
    manageEditors: ['owner'],
    leave: ['editor'],
    delete: ['owner'],
  },
  see: 'read',
  notFound: PlaylistErrors.playlistNotFound,
});

/** The caller's role as shown to clients (owner > editor > viewer), null for a stranger. */
export function roleOf(
  p: PlaylistMembers,
  principal: Principal | undefined,
): 'owner' | 'editor' | 'viewer' | null {
  const roles = playlistAccess.roles(p, principal);
  if (roles.has('owner')) return 'owner';
  if (roles.has('editor')) return 'editor';
  if (roles.has('viewer')) return 'viewer';
  return null;
}
