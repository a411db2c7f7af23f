import { defineErrors } from '../../platform/errors/app-error';

export const RadioErrors = defineErrors('radio', {
  stationNotFound: {
    code: 'station_not_found',
    status: 404,
    message: 'Station not found.',
    description:
      'Unknown station (genre, artist or track seed that does not exist), a malformed station id, or a seed with nothing playable.',
  },
  skipLimitReached: {
    code: 'skip_limit_reached',
    status: 429,
    message: 'Skip limit reached.',
    description:
      'More skips in the rolling hour (by the application clock) than the plan allows (explorer 6, classic 6, plus 30, pro unlimited). Carries `retry_after` and Retry-After: seconds until the oldest skip of the hour leaves the window. Holds under concurrent skips.',
  },
  concurrentStreamLimit: {
    code: 'concurrent_stream_limit',
    status: 429,
    message: 'Already streaming elsewhere.',
    description:
      'Starting a stream — a radio session, or on-demand playback (GET /tracks/:id/stream or POST /tracks/:id/plays with a device_id) — while another device of the user is live (a radio heartbeat, stream link or play report within LIMIT_STREAM_HEARTBEAT_SECONDS, 60). The same device takes over. Holds under concurrent starts on several instances.',
  },
  radioSessionNotFound: {
    code: 'radio_session_not_found',
    status: 404,
    message: 'Radio session not found.',
    description: "Unknown or ended radio session, or another user's.",
  },
});
