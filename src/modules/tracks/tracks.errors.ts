import { defineErrors } from '../../platform/errors/app-error';

export const TracksErrors = defineErrors('tracks', {
  fileTooLarge: {
    code: 'file_too_large',
    status: 422,
    message: 'File exceeds maximum size (256 MB).',
    description:
      'Uploaded audio larger than LIMIT_UPLOAD_BYTES (256 MB); rejected while streaming, without buffering the file, and nothing is kept.',
  },
  unsupportedAudioFormat: {
    code: 'unsupported_audio_format',
    status: 422,
    message: 'Unsupported audio format. Use WAV, FLAC, or AIFF.',
    description:
      "The file's content is not WAV (PCM or float), FLAC or AIFF/AIFF-C (MP3 is not accepted). Decided from the bytes, not the file name.",
  },
  corruptAudioFile: {
    code: 'corrupt_audio_file',
    status: 422,
    message: 'File could not be decoded.',
    description: 'The container is recognised (WAV, FLAC, AIFF) but its header or audio cannot be decoded.',
  },
  trackTooShort: {
    code: 'track_too_short',
    status: 422,
    message: 'Track duration must be at least 1 second.',
    description: 'Decoded duration under 1 s.',
  },
  missingTrackMetadata: {
    code: 'missing_track_metadata',
    status: 422,
    message: 'Title, BPM, or Genre not provided.',
    description: 'A track without title, bpm or genre; `errors` names the missing fields.',
  },
  trackNotFound: {
    code: 'track_not_found',
    status: 404,
    message: 'Track does not exist.',
    description:
      'Unknown track id, or a track the caller may not see (an upload still processing, or failed, is visible to its credited producers and admins only).',
  },
  splitPercentagesInvalid: {
    code: 'split_percentages_invalid',
    status: 422,
    message: 'Split percentages must sum to 100.',
    description: 'Collaborator royalty splits of a track do not add up to 100 (0.01 tolerance).',
  },
  trackHasLicenses: {
    code: 'track_has_licenses',
    status: 409,
    message: 'A track with licenses cannot be deleted.',
    description:
      'Deleting a track that was sold or downloaded under a license (active or revoked: its certificate stays verifiable), or that has a paid purchase or a checkout still open; its buyers keep access to it. Unpaid checkouts past their window do not count.',
  },
  notCreditedProducer: {
    code: 'not_credited_producer',
    status: 403,
    message: 'You are not a credited producer on this track.',
    description:
      'Audio Recon matches requested by someone who is neither a credited producer of the track nor an admin.',
  },
});
