import { defineErrors } from '../../platform/errors/app-error';

export const BillingErrors = defineErrors('billing', {
  planNotFound: {
    code: 'plan_not_found',
    status: 404,
    message: 'Plan not found.',
    description: 'Subscribing to (or, for admins, overriding to) a plan id that does not exist.',
  },
});
