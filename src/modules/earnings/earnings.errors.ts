import { defineErrors } from '../../platform/errors/app-error';

export const EarningsErrors = defineErrors('earnings', {
  payoutAccountNotReady: {
    code: 'payout_account_not_ready',
    status: 409,
    message: 'Your payout account cannot receive transfers yet.',
    description:
      'POST /me/earnings/transfers while the caller has no connected account, or Stripe last said it cannot receive transfers (onboarding unfinished, requirements due, disabled). The money stays available.',
  },
  payoutBelowMinimum: {
    code: 'payout_below_minimum',
    status: 422,
    message: 'Available balance is below the minimum transfer.',
    description:
      'POST /me/earnings/transfers with an available balance (after any negative balance) below LIMIT_TRANSFER_MINIMUM_CENTS (1,000) in every currency; also when a concurrent request has just claimed it.',
  },
  creditNotFound: {
    code: 'credit_not_found',
    status: 404,
    message: 'Credit not found.',
    description: 'Accepting or declining a collaborator credit that does not exist or is not the caller’s.',
  },
});
