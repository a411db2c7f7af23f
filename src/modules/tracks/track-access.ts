import type { Principal } from '../../platform/access/principal';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { TracksErrors } from './tracks.errors';
import type { TrackRow } from './tracks.repository';

/** Who may do what with a track — the one place these rules live. */
export const trackAccess = {
  /** The owner or a credited collaborator. */
  isCredited(track: Pick<TrackRow, 'ownerId' | 'collaborators'>, userId: string | undefined): boolean {
    return !!userId && (track.ownerId === userId || track.collaborators.some((c) => c.userId === userId));
  },

  /** Ready uploads and external links are public; anything else only to its credits and admins. */
  canSee(track: TrackRow, principal: Principal | undefined): boolean {
    if (track.source === 'external' || track.processingStatus === 'ready') return true;
    return principal?.role === 'admin' || trackAccess.isCredited(track, principal?.userId);
  },

  /** track_not_found for a track the caller may not see. */
  assertVisible(track: TrackRow | null, principal: Principal | undefined): TrackRow {
    if (!track || !trackAccess.canSee(track, principal)) throw new AppError(TracksErrors.trackNotFound);
    return track;
  },

  /** Metadata and credits are the owner's to change. */
  assertOwner(track: TrackRow, principal: Principal): void {
    if (track.ownerId !== principal.userId) throw new AppError(GeneralErrors.forbidden);
  },

  /** The owner, or an admin moderating. */
  assertOwnerOrAdmin(track: TrackRow, principal: Principal): void {
    if (track.ownerId !== principal.userId && principal.role !== 'admin')
      throw new AppError(GeneralErrors.forbidden);
  },
};
