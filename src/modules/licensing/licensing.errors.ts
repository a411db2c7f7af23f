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

export const RefundErrors = defineErrors('refunds', {
  refundWindowExpired: {
    code: 'refund_window_expired',
    status: 410,
    message: 'The refund window has closed.',
    description:
      'POST /purchases/:id/refund more than LIMIT_REFUND_WINDOW_HOURS (24) after the purchase was paid (application clock). An admin may still refund (POST /admin/purchases/:id/refund).',
  },
  refundNotEligible: {
    code: 'refund_not_eligible',
    status: 409,
    message: 'This purchase cannot be refunded.',
    description:
      'POST /purchases/:id/refund after the license’s file was downloaded (a download and a refund request racing each other: whichever the database takes first wins), or of a purchase that was never paid or issued no license.',
  },
  alreadyRefunded: {
    code: 'already_refunded',
    status: 409,
    message: 'This purchase was already refunded.',
    description:
      'A refund request (buyer or admin) for a purchase refunded or being refunded, a lost dispute included.',
  },
  chargeDisputed: {
    code: 'charge_disputed',
    status: 409,
    message: 'This payment is under dispute.',
    description:
      'A refund request (buyer or admin) while the card holder’s dispute of the payment is open: the dispute decides.',
  },
  licenseFrozen: {
    code: 'license_frozen',
    status: 403,
    message: 'This license is frozen while its payment is disputed.',
    description:
      'A download, or a new download link, of a license whose payment has an open dispute (charge.dispute.created). A won dispute unfreezes it; a lost one revokes it.',
  },
});
