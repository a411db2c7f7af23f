import { defineErrors } from '../../platform/errors/app-error';

export const BeatRequestErrors = defineErrors('beat_requests', {
  noTokensRemaining: {
    code: 'no_tokens_remaining',
    status: 429,
    message: 'No tokens remaining.',
    description:
      'Creating a request with a token balance of 0 (the allowance comes back on the 1st of the month, UTC).',
  },
  insufficientTokens: {
    code: 'insufficient_tokens',
    status: 429,
    message: 'Not enough tokens for chosen duration.',
    description: "Balance > 0 but below the chosen duration's cost (24 h = 1, 48 h = 2, 72 h = 3).",
  },
  descriptionTooShort: {
    code: 'description_too_short',
    status: 422,
    message: 'Description too short (minimum 10 characters).',
    description: 'Description under 10 characters.',
  },
  referenceTrackRequired: {
    code: 'reference_track_required',
    status: 422,
    message: 'Reference track required.',
    description: 'No reference_track_url.',
  },
  invalidReferenceTrack: {
    code: 'invalid_reference_track',
    status: 422,
    message: 'Provide a valid YouTube, Spotify, or SoundCloud link.',
    description:
      'reference_track_url is not an http(s) URL on YouTube, Spotify, SoundCloud or Apple Music (or is over 500 characters).',
  },
  requestNotFound: {
    code: 'request_not_found',
    status: 404,
    message: 'Request not found.',
    description: 'Unknown beat request id.',
  },
  requestExpired: {
    code: 'request_expired',
    status: 410,
    message: 'Request expired.',
    description: 'Submitting to a request whose 24/48/72 h window has closed.',
  },
  notRequestOwner: {
    code: 'not_request_owner',
    status: 403,
    message: 'Only the creator can delete or renew this request.',
    description: 'Delete or renew by anyone but the creator.',
  },
  requestStillActive: {
    code: 'request_still_active',
    status: 409,
    message: "Cannot renew a request that hasn't expired.",
    description: 'Renewing an active request.',
  },
  renewalWindowExpired: {
    code: 'renewal_window_expired',
    status: 410,
    message: 'Request expired more than 30 days ago.',
    description: 'Renewing more than 30 days after expiry.',
  },
  noTokenForRenewal: {
    code: 'no_token_for_renewal',
    status: 429,
    message: 'No tokens available to renew.',
    description: 'Renewing (cost 1 token) with a balance of 0.',
  },
});

export const SubmissionErrors = defineErrors('submissions', {
  selfSubmissionBlocked: {
    code: 'self_submission_blocked',
    status: 403,
    message: 'Cannot submit to your own request.',
    description: "The request's creator submits to it.",
  },
  notTrackOwner: {
    code: 'not_track_owner',
    status: 403,
    message: "You don't own or collaborate on this track.",
    description: 'Submitting a track the producer neither owns nor is a credited collaborator of.',
  },
  trackNotPlatformHosted: {
    code: 'track_not_platform_hosted',
    status: 422,
    message: 'Track is an external link, not uploaded.',
    description: 'Submitting an external-link track.',
  },
  fingerprintNotCompleted: {
    code: 'fingerprint_not_completed',
    status: 422,
    message: "Track hasn't finished audio processing.",
    description: "The track's fingerprint is not ready (pending, processing or failed).",
  },
  duplicateSubmission: {
    code: 'duplicate_submission',
    status: 409,
    message: 'Same track already submitted.',
    description: 'This track is already submitted to this request.',
  },
  submissionLimitReached: {
    code: 'submission_limit_reached',
    status: 422,
    message: 'Maximum tracks per request reached (5).',
    description:
      'The producer already has 5 submissions on this request (LIMIT_SUBMISSIONS_PER_REQUEST); holds under concurrent submissions.',
  },
  duplicateAudioDetected: {
    code: 'duplicate_audio_detected',
    status: 409,
    message: 'Audio fingerprint matches an existing submission.',
    description:
      'The track’s fingerprint matches (≥ 95 %, LIMIT_DUPLICATE_SIMILARITY) a track already submitted to this request; holds under concurrent submissions.',
  },
});
