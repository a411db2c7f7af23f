import type { BeatRequest, Submission } from '@prisma/client';
import { defineResourceAccess } from '../../platform/access/resource-access';
import { BeatRequestErrors } from './beat-requests.errors';

/**
 * Beat requests are public; their creator (`owner`) deletes and renews them and reads every
 * submission to them — anyone else, admins included, gets not_request_owner for delete and renew
 * (the contract's code: deleting refunds the creator's tokens, so it stays the creator's act).
 * Admins read every submission (moderation). The creator may not submit to their own request
 * (self_submission_blocked, decided from `owner`).
 */
export const requestAccess = defineResourceAccess<
  Pick<BeatRequest, 'ownerId'>,
  'see' | 'delete' | 'renew' | 'submissions'
>({
  relations: (request, principal) => (principal && request.ownerId === principal.userId ? ['owner'] : []),
  isPublic: () => true,
  actions: { see: 'public', delete: ['owner'], renew: ['owner'], submissions: ['owner', 'admin'] },
  see: 'see',
  notFound: BeatRequestErrors.requestNotFound,
  denied: BeatRequestErrors.notRequestOwner,
});

/**
 * A submission is its producer's (`owner`); the request's creator is its `viewer`; admins read
 * any. The list of a request's submissions shows each caller exactly these.
 */
export const submissionAccess = defineResourceAccess<
  Pick<Submission, 'producerId'> & { request: Pick<BeatRequest, 'ownerId'> },
  'read'
>({
  relations: (s, principal) => {
    if (!principal) return [];
    return [
      ...(s.producerId === principal.userId ? (['owner'] as const) : []),
      ...(s.request.ownerId === principal.userId ? (['viewer'] as const) : []),
    ];
  },
  actions: { read: ['owner', 'viewer', 'admin'] },
  see: 'read',
  notFound: BeatRequestErrors.requestNotFound,
});
