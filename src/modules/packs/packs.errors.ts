import { defineErrors } from '../../platform/errors/app-error';

export const PackErrors = defineErrors('packs', {
  packNotFound: {
    code: 'pack_not_found',
    status: 404,
    message: 'Pack not found.',
    description: 'A pack that does not exist or is not the caller’s (/packs/:id and everything under it).',
  },
  packNameConflict: {
    code: 'pack_name_conflict',
    status: 409,
    message: 'Pack name already used.',
    description:
      'POST /packs or PATCH /packs/:id with a name the producer already uses for another pack (a unique index on owner and name).',
  },
  packLinkNotFound: {
    code: 'pack_link_not_found',
    status: 404,
    message: 'Pack link not found.',
    description:
      'An unknown or revoked pack link slug (the public routes /pack-links/:slug…), or a link id that is not of the caller’s pack.',
  },
  packLinkExpired: {
    code: 'pack_link_expired',
    status: 410,
    message: 'This pack link has expired.',
    description: 'A pack link used at or after its expires_at.',
  },
  accessCodeRequired: {
    code: 'access_code_required',
    status: 403,
    message: 'This pack link needs an access code.',
    description: 'A pack link with an access code opened without the X-Access-Code header.',
  },
  accessCodeInvalid: {
    code: 'access_code_invalid',
    status: 403,
    message: 'Access code is incorrect.',
    description:
      'A pack link opened with a wrong X-Access-Code. More than LIMIT_ACCESS_CODE_ATTEMPTS (10) wrong codes per link and IP in 15 minutes: too_many_requests with Retry-After, for any code, until the oldest wrong one leaves the window.',
  },
  downloadsDisabled: {
    code: 'downloads_disabled',
    status: 403,
    message: 'Downloads are disabled on this pack link.',
    description:
      'GET /pack-links/:slug/tracks/:track_id/download through a link whose `downloads` is `none`, or whose max_downloads is reached (counted by one conditional update: never more than max_downloads).',
  },
});
