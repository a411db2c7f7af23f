import type { Principal } from '../../platform/access/principal';
import { AppError } from '../../platform/errors/app-error';
import { trackAccess } from '../tracks/track-access';
import { TracksErrors } from '../tracks/tracks.errors';
import { ListeningErrors } from './listening.errors';
import type { RenditionRef, StreamFacts } from './listening.repository';

/** Seconds a client waits before asking again for a stream that is being made. */
export const NOT_READY_RETRY_SECONDS = 15;

/**
 * Who may hear a track, and which rendition — the one place these rules live.
 *
 * - hear: whoever may see the track (trackAccess `see`: tracks/track-access.ts), unless the
 *   track's owner and the caller blocked each other (then the track does not exist for them:
 *   track_not_found, like every list leaves it out).
 * - clean: the owner, credited collaborators, holders of an active license and admins hear the
 *   clean rendition; every other listener the tagged one when the producer has a voice tag
 *   (rendered with that very tag: during a re-render after a change, stream_not_ready).
 * - no rendition yet (processing), or an external link (not hosted here): stream_not_ready.
 */
export function hearable(principal: Principal | undefined, facts: StreamFacts | null): StreamFacts {
  const track = trackAccess.assert(principal, 'see', facts);
  if (track.blocked) throw new AppError(TracksErrors.trackNotFound);
  return track;
}

export function renditionFor(principal: Principal | undefined, facts: StreamFacts | null): RenditionRef {
  const track = hearable(principal, facts);
  if (track.source === 'external') throw new AppError(ListeningErrors.streamNotReady);
  const notReady = () =>
    new AppError(ListeningErrors.streamNotReady, {
      headers: { 'Retry-After': String(NOT_READY_RETRY_SECONDS) },
      context: { retry_after: NOT_READY_RETRY_SECONDS },
    });
  if (!track.clean) throw notReady();
  const clean =
    trackAccess.can(principal, 'credited', track) || track.licensed || principal?.role === 'admin';
  if (clean || !track.voiceTag) return track.clean;
  if (track.tagged?.voiceTag !== track.voiceTag) throw notReady();
  return track.tagged;
}
