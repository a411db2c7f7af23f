import { defineErrors } from '../../platform/errors/app-error';

export const ListeningErrors = defineErrors('listening', {
  streamNotReady: {
    code: 'stream_not_ready',
    status: 409,
    message: 'The track is still being prepared for streaming.',
    description:
      'GET /tracks/:id/stream of a track whose rendition does not exist yet: an upload still processing, or a tagged rendition being re-made after its producer changed the voice tag. Carries Retry-After (seconds). An external-link track has no stream here (no Retry-After).',
  },
  peaksNotFound: {
    code: 'peaks_not_found',
    status: 404,
    message: 'Waveform peaks not found.',
    description:
      'GET /tracks/:id/peaks before the peaks were made (processing not finished) or of an external-link track.',
  },
  rangeNotSatisfiable: {
    code: 'range_not_satisfiable',
    status: 416,
    message: 'Requested range not satisfiable.',
    description:
      'A media request whose Range starts at or beyond the end of the file; the answer carries `Content-Range: bytes */<size>`.',
  },
  streamLinkExpired: {
    code: 'stream_link_expired',
    status: 403,
    message: 'Stream link expired.',
    description:
      'A signed media URL used after its expiry (LIMIT_STREAM_LINK_SECONDS, 300), with an altered token, or whose caller’s credential ended since it was signed (logout, revocation, suspension), or whose rendition was replaced. Ask GET /tracks/:id/stream again.',
  },
  voiceTagInvalid: {
    code: 'voice_tag_invalid',
    status: 422,
    message: 'Voice tag must be a short WAV, FLAC or AIFF clip.',
    description:
      'PUT /me/voice-tag with a file that is not WAV, FLAC or AIFF, cannot be decoded, is silent or empty, or is longer than LIMIT_VOICE_TAG_SECONDS (10).',
  },
});
