import { defineErrors } from '../../platform/errors/app-error';

export const BackstageErrors = defineErrors('backstage', {
  requestPending: {
    code: 'backstage_request_pending',
    status: 409,
    message: 'You already have a pending request.',
    description:
      "Creating any backstage request while one of the user's requests is pending (takes precedence over revoked); holds under concurrent creations.",
  },
  requestRevoked: {
    code: 'backstage_request_revoked',
    status: 409,
    message: 'You have a revoked request. Contact us to appeal.',
    description: 'Creating any backstage request while the user has a revoked one in history.',
  },
  requestNotFound: {
    code: 'backstage_request_not_found',
    status: 404,
    message: 'Backstage request not found.',
    description: 'Admin decision on an unknown request.',
  },
});
