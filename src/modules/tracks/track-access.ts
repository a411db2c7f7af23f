import { defineResourceAccess, type Role } from '../../platform/access/resource-access';
import { TracksErrors } from './tracks.errors';
import type { TrackView } from './tracks.repository';

type TrackLike = Pick<TrackView, 'ownerId' | 'source' | 'processingStatus'> & {
  collaborators: readonly { userId: string }[];
};

/**
 * Who may do what with a track — the one place these rules live (README "Access model").
 *
 * - see: ready uploads and external links are public; a track still processing, or failed, only
 *   to its credited producers and admins (others get track_not_found).
 * - edit (metadata), credit (collaborators and splits), sell (license offers): the owner only.
 *   Admins moderate by deleting, not by rewriting someone's metadata or prices.
 * - delete: the owner, or an admin moderating.
 * - recon (Audio Recon), stats (radio play counts): credited producers and admins, else
 *   not_credited_producer.
 * - credited: the owner or a collaborator — may submit it to beat requests, may not buy it.
 */
export const trackAccess = defineResourceAccess<
  TrackLike,
  'see' | 'edit' | 'credit' | 'sell' | 'delete' | 'recon' | 'stats' | 'credited'
>({
  relations: (track, principal) => {
    if (!principal) return [];
    if (track.ownerId === principal.userId) return ['owner'];
    return track.collaborators.some((c) => c.userId === principal.userId) ? ['collaborator'] : [];
  },
  isPublic: (track) => track.source === 'external' || track.processingStatus === 'ready',
  actions: {
    see: 'public',
    edit: ['owner'],
    credit: ['owner'],
    sell: ['owner'],
    delete: ['owner', 'admin'],
    recon: ['owner', 'collaborator', 'admin'],
    stats: ['owner', 'collaborator', 'admin'],
    credited: ['owner', 'collaborator'],
  } satisfies Record<string, readonly Role[] | 'public'>,
  see: 'see',
  notFound: TracksErrors.trackNotFound,
  denied: { recon: TracksErrors.notCreditedProducer, stats: TracksErrors.notCreditedProducer },
});
