import { defineErrors } from '../../platform/errors/app-error';

/** The playlist codes of the contract's `library` module. */
export const PlaylistErrors = defineErrors('library', {
  playlistLimitReached: {
    code: 'playlist_limit_reached',
    status: 429,
    message: 'Maximum playlists reached.',
    description:
      'Creating (or duplicating into) more playlists than the limit (100, LIMIT_PLAYLISTS); holds under concurrent creations.',
  },
  playlistFull: {
    code: 'playlist_full',
    status: 429,
    message: 'Maximum tracks per playlist reached.',
    description:
      'Adding beyond 500 tracks (LIMIT_PLAYLIST_TRACKS); holds under concurrent adds by several editors (they take turns on the playlist row).',
  },
  trackAlreadyInPlaylist: {
    code: 'track_already_in_playlist',
    status: 409,
    message: 'Track already in playlist.',
    description: 'Adding a track the playlist already has (checked before playlist_full).',
  },
  playlistNotFound: {
    code: 'playlist_not_found',
    status: 404,
    message: 'Playlist not found.',
    description: 'Unknown playlist, or a private one the caller is not a member of.',
  },
  trackSetMismatch: {
    code: 'track_set_mismatch',
    status: 409,
    message: "Reorder payload doesn't match the playlist's track set.",
    description:
      "PUT of a track order that is not a permutation of the playlist's current tracks, or a move naming a track (or an anchor) that is not in the playlist.",
  },
});

export const CollaborationErrors = defineErrors('collaboration', {
  maxEditorsReached: {
    code: 'max_editors_reached',
    status: 429,
    message: 'Maximum collaborators reached. Remove an editor first.',
    description:
      'Inviting when editors plus pending invitations reach the cap (10, LIMIT_PLAYLIST_EDITORS); counted under the playlist row’s lock, so it holds under concurrent invitations.',
  },
  invitationExpired: {
    code: 'invitation_expired',
    status: 410,
    message: 'Invitation expired.',
    description:
      'Accepting or declining an invitation older than 7 days (LIMIT_INVITATION_SECONDS, by the application clock).',
  },
  alreadyInvited: {
    code: 'already_invited',
    status: 409,
    message: 'A pending invitation exists.',
    description: 'Inviting a user who has a pending invitation to this playlist (or is already an editor).',
  },
  reinviteCooldown: {
    code: 'reinvite_cooldown',
    status: 429,
    message: 'Cannot re-invite yet.',
    description:
      'Re-inviting within 24 h (LIMIT_REINVITE_COOLDOWN_SECONDS) after that user declined, let an invitation expire, left, or was removed. The body carries `retry_after` (seconds).',
  },
  invitationNotFound: {
    code: 'invitation_not_found',
    status: 404,
    message: 'Invitation not found.',
    description:
      'Unknown invitation id, one addressed to someone else, or one that is no longer open (declined, revoked by a removal, or superseded).',
  },
});
