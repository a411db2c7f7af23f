import { defineResourceAccess, type Role } from '../../platform/access/resource-access';
import { isPublicTrack, type TrackVisibilityFacts } from './track-visibility';
import { TracksErrors } from './tracks.errors';

/**
 * Who may do what with a track — the one place these rules live (README "Access model").
 *
 * - see: ready uploads and external links are public; a track still processing, or failed, only
 *   to its credited producers and admins (others get track_not_found). The rule is
 *   track-visibility.ts, whose SQL form the lists use.
 * - edit (metadata), credit (collaborators and splits), sell (license offers): the owner only.
 *   Admins moderate by deleting, not by rewriting someone's metadata or prices.
 * - delete: the owner, or an admin moderating.
 * - recon (Audio Recon), stats (radio play counts): credited producers and admins, else
 *   not_credited_producer.
 * - credited: the owner or a collaborator — may submit it to beat requests, may not buy it.
 */
export const trackAccess = defineResourceAccess<
  TrackVisibilityFacts,
  'see' | 'edit' | 'credit' | 'sell' | 'delete' | 'recon' | 'stats' | 'credited'
>({
  // the SQL form of these relations is trackCreditedSql (track-visibility.ts)
  relations: (track, principal) => {
    if (!principal) return [];
    if (track.ownerId === principal.userId) return ['owner'];
    return track.collaborators.some((c) => c.userId === principal.userId) ? ['collaborator'] : [];
  },
  isPublic: isPublicTrack,
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
