import { defineErrors } from '../../platform/errors/app-error';

export const PurchaseErrors = defineErrors('purchases', {
  trackNotForSale: {
    code: 'track_not_for_sale',
    status: 400,
    message: 'Track not for sale.',
    description: 'No license offer of the requested type is configured for the track.',
  },
  cannotPurchaseOwnTrack: {
    code: 'cannot_purchase_own_track',
    status: 422,
    message: 'You cannot purchase your own track.',
    description: "The buyer is the track's owner or a credited collaborator.",
  },
  alreadyPurchased: {
    code: 'already_purchased',
    status: 409,
    message: 'Already purchased.',
    description: 'The buyer already holds an active license of that type for the track.',
  },
  exclusiveAlreadySold: {
    code: 'exclusive_already_sold',
    status: 410,
    message: 'Exclusive already sold.',
    description: "The track's exclusive license has been sold: no new license of any type can be bought.",
  },
  priceChanged: {
    code: 'price_changed',
    status: 409,
    message: 'Price changed.',
    description:
      'expected_price_cents differs from the current price; the body carries `current_price_cents`.',
  },
  checkoutExpired: {
    code: 'checkout_expired',
    status: 400,
    message: 'Checkout expired.',
    description:
      'Confirming a purchase more than 30 minutes (LIMIT_CHECKOUT_SECONDS) after it was initiated.',
  },
  purchaseNotFound: {
    code: 'purchase_not_found',
    status: 404,
    message: 'Purchase not found.',
    description: 'Unknown purchase id or one that belongs to someone else.',
  },
});

export const LicenseErrors = defineErrors('licenses', {
  licenseNotFound: {
    code: 'license_not_found',
    status: 404,
    message: 'License not found.',
    description: 'Unknown license id or certificate number, or a license the caller does not hold.',
  },
  licenseRevoked: {
    code: 'license_revoked',
    status: 410,
    message: 'License was revoked.',
    description: "The license's payment was refunded or disputed, or an admin revoked it.",
  },
  downloadExpired: {
    code: 'download_expired',
    status: 403,
    message: 'Download link expired.',
    description: 'A signed download link used after its expiry (15 min, LIMIT_DOWNLOAD_LINK_SECONDS).',
  },
});
