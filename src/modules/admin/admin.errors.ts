import { defineErrors } from '../../platform/errors/app-error';

export const AdminErrors = defineErrors('auth', {
  cannotModifySelf: {
    code: 'cannot_modify_self',
    status: 409,
    message: 'You cannot suspend or delete your own account.',
    description: 'An admin targets their own account with suspend or reinstate.',
  },
});
