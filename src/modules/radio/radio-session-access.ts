import { defineResourceAccess } from '../../platform/access/resource-access';
import { RadioErrors } from './radio.errors';

/**
 * Who may do what with a radio session: it is its listener's (the `owner` role here), who reads
 * it and moves it on (next, skip, heartbeat, like, end). Nobody else, admins included: everyone
 * else gets radio_session_not_found, as for an unknown or ended session.
 */
export const radioSessionAccess = defineResourceAccess<{ userId: string }, 'listen'>({
  relations: (session, principal) => (principal && session.userId === principal.userId ? ['owner'] : []),
  actions: { listen: ['owner'] },
  see: 'listen',
  notFound: RadioErrors.radioSessionNotFound,
});
