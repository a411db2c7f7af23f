import { defineErrors } from '../../platform/errors/app-error';

export const BillingErrors = defineErrors('billing', {
  planNotFound: {
    code: 'plan_not_found',
    status: 404,
    message: 'Plan not found.',
    description: 'Subscribing to (or, for admins, overriding to) a plan id that does not exist.',
  },
  alreadySubscribed: {
    code: 'already_subscribed',
    status: 409,
    message: 'An active subscription to this plan exists.',
    description: 'Subscribing to the plan the user is already on.',
  },
  freePlanNoPayment: {
    code: 'free_plan_no_payment',
    status: 422,
    message: 'This plan is free — no payment required.',
    description: 'Attempting a paid checkout for the free plan (explorer).',
  },
  entitlementRequired: {
    code: 'entitlement_required',
    status: 403,
    message: 'Your plan does not include this feature.',
    description:
      'A plan gate; the body carries `feature`, `plan_id`, `upgrade_required` (and `limit`/`current` where a quota applies). A past-due subscription loses its paid features until it is paid.',
  },
});
