import { defineResourceAccess } from '../../platform/access/resource-access';
import { EarningsErrors } from './earnings.errors';

/**
 * Who may answer a collaborator credit: the person credited (the credit's `owner` role here), nobody else — not the track's owner
 * (who makes and removes credits through the track), not admins. Everyone else gets
 * credit_not_found, as for an unknown credit.
 */
export const creditAccess = defineResourceAccess<{ userId: string }, 'answer'>({
  relations: (credit, principal) => (principal && credit.userId === principal.userId ? ['owner'] : []),
  actions: { answer: ['owner'] },
  see: 'answer',
  notFound: EarningsErrors.creditNotFound,
});
