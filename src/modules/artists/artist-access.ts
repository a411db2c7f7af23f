import type { Artist } from '@prisma/client';
import { defineResourceAccess } from '../../platform/access/resource-access';
import { ArtistsErrors } from './artists.errors';

/**
 * Artist profiles are public; only the artist's own user edits one (or verifies it through the
 * producer program). Admins do not rewrite profiles: `verified` comes from backstage decisions.
 */
export const artistAccess = defineResourceAccess<Pick<Artist, 'userId'>, 'see' | 'edit'>({
  relations: (artist, principal) => (principal && artist.userId === principal.userId ? ['owner'] : []),
  isPublic: () => true,
  actions: { see: 'public', edit: ['owner'] },
  see: 'see',
  notFound: ArtistsErrors.artistNotFound,
});
