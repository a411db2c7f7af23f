import type { License } from '@prisma/client';
import { defineResourceAccess } from '../../platform/access/resource-access';
import { LicenseErrors } from './licensing.errors';

/**
 * A license is its holder's: they read it and take download links. Admins read any license
 * (support) and revoke it, but take no download links for someone else's file. Anyone else gets
 * license_not_found, as for an unknown id. (Certificates are verified publicly by number, not
 * through this helper: that route shows a holder's name and a status, not the license.)
 */
export const licenseAccess = defineResourceAccess<Pick<License, 'holderId'>, 'read' | 'download' | 'revoke'>({
  relations: (license, principal) => (principal && license.holderId === principal.userId ? ['owner'] : []),
  actions: { read: ['owner', 'admin'], download: ['owner'], revoke: ['admin'] },
  see: 'read',
  notFound: LicenseErrors.licenseNotFound,
});
