import { defineErrors } from '../errors/app-error';

/** Raised by the access guard on every route; part of the catalogue's `auth` module. */
export const AccessErrors = defineErrors('auth', {
  unauthenticated: {
    code: 'unauthenticated',
    status: 401,
    message: 'No valid authentication token found.',
    description:
      'No Authorization header, a malformed one, or a token that does not exist / was revoked, on a route that requires auth.',
  },
  tokenExpired: {
    code: 'token_expired',
    status: 401,
    message: 'Your authentication token has expired.',
    description: 'An access token (1 h) or personal access token past its expiry.',
  },
  accountSuspended: {
    code: 'account_suspended',
    status: 403,
    message: 'Account has been suspended.',
    description:
      'Login or any authenticated request by a suspended user; takes effect immediately, also for tokens issued before the suspension.',
  },
});
