export interface Loudness {
  /** Integrated loudness (EBU R128 / ITU-R BS.1770), LUFS; null for silence. */
  integratedLufs: number | null;
  /** True peak (4× oversampled), dBTP; null for digital silence. */
  truePeakDbtp: number | null;
}

/** Below the absolute gate ebur128 reports exactly −70 LUFS: nothing was loud enough to measure. */
const SILENCE_LUFS = -70;

/**
 * Reads the `Summary:` that ffmpeg's ebur128 filter logs at the end. ffmpeg 4.1 also logs an empty
 * summary (−70 LUFS, −inf) from a filter instance it builds and drops while configuring the graph,
 * so the LAST summary is the measurement. Null when there is none.
 */
export function parseEbur128Summary(stderr: string): Loudness | null {
  const at = stderr.lastIndexOf('Summary:');
  if (at < 0) return null;
  const summary = stderr.slice(at);
  const integrated = /Integrated loudness:\s*I:\s*(-?(?:\d+(?:\.\d+)?|inf))\s*LUFS/.exec(summary);
  const peak = /True peak:\s*Peak:\s*(-?(?:\d+(?:\.\d+)?|inf))\s*dBFS/.exec(summary);
  if (!integrated || !peak) return null;
  const lufs = Number.parseFloat(integrated[1]);
  const tp = Number.parseFloat(peak[1]);
  return {
    integratedLufs: Number.isFinite(lufs) && lufs > SILENCE_LUFS ? lufs : null,
    truePeakDbtp: Number.isFinite(tp) ? tp : null,
  };
}

/**
 * The gain that brings a track to −14 LUFS (the level the big streaming services play at), in dB
 * rounded to 0.01; null when the track had no measurable loudness.
 */
export function replayGainDb(lufs: number | null): number | null {
  if (lufs === null) return null;
  const db = Math.round((-14 - lufs) * 100) / 100;
  return db === 0 ? 0 : db; // no −0 in JSON or the database
}
