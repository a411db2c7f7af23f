import { defineResourceAccess, type Role } from '../../platform/access/resource-access';
import { PackErrors } from './packs.errors';

/**
 * Who may do what with a pack — the one place this rule lives: its owner manages it (tracks,
 * links, analytics); to anyone else, admins included, it does not exist (pack_not_found). Its
 * links' visitors reach it only through a link (pack-links.service.ts).
 */
export const packAccess = defineResourceAccess<{ ownerId: string }, 'manage'>({
  relations: (pack, principal) => (principal && pack.ownerId === principal.userId ? ['owner'] : []),
  actions: { manage: ['owner'] } satisfies Record<string, readonly Role[]>,
  see: 'manage',
  notFound: PackErrors.packNotFound,
});
