import type { Purchase } from '@prisma/client';
import { defineResourceAccess } from '../../platform/access/resource-access';
import { PurchaseErrors } from './licensing.errors';

/**
 * A purchase is its buyer's. Admins may read any purchase (support: "what happened to my
 * payment?") but never act on it: confirming spends the buyer's card. Anyone else gets
 * purchase_not_found, as for an unknown id.
 */
export const purchaseAccess = defineResourceAccess<Pick<Purchase, 'buyerId'>, 'read' | 'confirm'>({
  relations: (purchase, principal) => (principal && purchase.buyerId === principal.userId ? ['owner'] : []),
  actions: { read: ['owner', 'admin'], confirm: ['owner'] },
  see: 'read',
  notFound: PurchaseErrors.purchaseNotFound,
});
