import { defineErrors } from '../../platform/errors/app-error';

// Grouped under `social` in the catalogue, where most callers meet it; raised wherever a user
// id must exist (admin, follows, blocks).
export const AccountsErrors = defineErrors('social', {
  userNotFound: {
    code: 'user_not_found',
    status: 404,
    message: 'User not found.',
    description: 'Unknown user id.',
  },
});
