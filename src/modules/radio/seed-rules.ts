/**
 * The radio's pure rules: station ids, musical keys on the Camelot wheel, BPM windows and related
 * genres. The selection SQL (radio.repository.ts) applies the same rules; `radio_key_code` in the
 * migration is the SQL twin of `keyCode` (the property test in test/radio checks every drawn track
 * against these functions).
 */

export type StationType = 'genre' | 'artist' | 'track';
export const STATION_TYPES: readonly StationType[] = ['genre', 'artist', 'track'];

/** `genre:<name>`, `artist:<id>`, `track:<id>`; null when malformed. Genres are lower-case. */
export function parseStationId(id: string): { type: StationType; value: string } | null {
  const colon = id.indexOf(':');
  if (colon < 0) return null;
  const type = id.slice(0, colon) as StationType;
  const value = id.slice(colon + 1).trim();
  if (!STATION_TYPES.includes(type) || !value || value.length > 100) return null;
  return { type, value: type === 'genre' ? value.toLowerCase() : value };
}

export const stationId = (type: StationType, value: string): string => `${type}:${value}`;

// ---- musical keys ------------------------------------------------------------------------------

/**
 * A key as a Camelot code 0–23: `(number - 1) * 2 + (major ? 1 : 0)`, so 8A (A minor) = 14 and
 * 8B (C major) = 15. Accepts note names ("F#m", "Gb minor", "C", "Ebmaj", "a min"; ♯/♭ too; a
 * lone "m"/"min"/"minor" after the note is minor, nothing or "maj"/"major" is major) and Camelot
 * codes ("8A", "12b"). Anything else has no key (null): such tracks never match a key rule.
 */
export function keyCode(key: string | null | undefined): number | null {
  if (key === null || key === undefined) return null;
  const k = key.trim().toLowerCase();
  const camelot = /^(1[0-2]|[1-9])\s*([ab])$/.exec(k);
  if (camelot) return (Number(camelot[1]) - 1) * 2 + (camelot[2] === 'b' ? 1 : 0);
  const note = /^([a-g])([#♯b♭]?)\s*(m|min|minor|maj|major)?$/.exec(k);
  if (!note) return null;
  const accidental = note[2] === '#' || note[2] === '♯' ? 1 : note[2] === 'b' || note[2] === '♭' ? 11 : 0;
  const pitch = ('cxdxefxgxaxb'.indexOf(note[1]) + accidental) % 12;
  const minor = note[3] === 'm' || note[3] === 'min' || note[3] === 'minor';
  // the circle of fifths: 7 semitones a step; C major is 8B, A minor (relative of C) is 8A
  const number0 = (7 * pitch + (minor ? 4 : 7)) % 12;
  return number0 * 2 + (minor ? 0 : 1);
}

/** "8A" for 14. */
export const camelotName = (code: number): string => `${Math.floor(code / 2) + 1}${code % 2 ? 'B' : 'A'}`;

/**
 * Keys that mix with `code`: the same key, its relative major/minor (same number, other letter)
 * and its neighbours on the circle of fifths (number ± 1, same letter).
 */
export function compatibleKeys(code: number): number[] {
  const n = Math.floor(code / 2);
  const letter = code % 2;
  return [code, n * 2 + (1 - letter), ((n + 1) % 12) * 2 + letter, ((n + 11) % 12) * 2 + letter];
}

export const keysCompatible = (seed: number, other: number | null): boolean =>
  other !== null && compatibleKeys(seed).includes(other);

// ---- tempo -------------------------------------------------------------------------------------

/** BPM within ±6 % of the seed's, of half of it or of double it (half and double time). */
export const BPM_TOLERANCE_PERCENT = 6;

/** Inclusive integer BPM windows matching `bpm` (track BPMs are integers). */
export function bpmWindows(bpm: number): [number, number][] {
  const t = BPM_TOLERANCE_PERCENT;
  // center = bpm * num / den; window = center * (100 ± t) / 100, in integers
  return [
    [1, 2],
    [1, 1],
    [2, 1],
  ].map(([num, den]) => [
    Math.ceil((bpm * num * (100 - t)) / (100 * den)),
    Math.floor((bpm * num * (100 + t)) / (100 * den)),
  ]);
}

export const bpmMatches = (seed: number, bpm: number): boolean =>
  bpmWindows(seed).some(([lo, hi]) => bpm >= lo && bpm <= hi);

// ---- genres ------------------------------------------------------------------------------------

/**
 * Genres that sit together on a station. A track station plays its seed's genre and the genres
 * of the seed's family; a genre not listed here is related only to itself.
 */
export const GENRE_FAMILIES: readonly (readonly string[])[] = [
  ['hip-hop', 'hip hop', 'rap', 'trap', 'drill', 'boom bap', 'lo-fi', 'lofi', 'grime'],
  ['r&b', 'rnb', 'soul', 'neo soul', 'funk'],
  ['house', 'deep house', 'tech house', 'techno', 'edm', 'electronic', 'garage', 'uk garage'],
  ['drum and bass', 'dnb', 'jungle', 'dubstep', 'bass'],
  ['pop', 'dance', 'synthpop', 'indie pop'],
  ['afrobeats', 'afrobeat', 'amapiano', 'dancehall', 'reggaeton', 'latin', 'reggae'],
  ['rock', 'indie', 'alternative', 'punk', 'metal'],
  ['jazz', 'blues', 'gospel'],
  ['ambient', 'cinematic', 'classical', 'orchestral'],
];

/** The genre itself first, then its family (at most 10). */
export function relatedGenres(genre: string): string[] {
  const g = genre.toLowerCase();
  const family = GENRE_FAMILIES.find((f) => f.includes(g)) ?? [];
  return [g, ...family.filter((x) => x !== g)].slice(0, 10);
}

// ---- the rule a station draws by ---------------------------------------------------------------

/** What a station plays, resolved once when a session starts (stored with the session). */
export interface StationRule {
  /** tracks of these genres (genre and track stations) */
  genres?: string[];
  /** tracks of these artists (artist stations: the seed artist first, then close artists) */
  artists?: string[];
  /** Camelot codes allowed (track stations whose seed has a key) */
  keys?: number[];
  /** inclusive BPM windows (track stations) */
  bpm?: [number, number][];
}

/** Whether a track satisfies the rule (the selection query's predicate, in TypeScript). */
export function ruleMatches(
  rule: StationRule,
  t: { genre: string; artistId: string | null; bpm: number; musicalKey: string | null },
): boolean {
  if (rule.genres && !rule.genres.includes(t.genre)) return false;
  if (rule.artists && (!t.artistId || !rule.artists.includes(t.artistId))) return false;
  if (rule.keys) {
    const code = keyCode(t.musicalKey);
    if (code === null || !rule.keys.includes(code)) return false;
  }
  if (rule.bpm && !rule.bpm.some(([lo, hi]) => t.bpm >= lo && t.bpm <= hi)) return false;
  return true;
}

/** A track station's rule: similar tempo, compatible key (when the seed has one), related genre. */
export function trackRule(seed: { genre: string; bpm: number; musicalKey: string | null }): StationRule {
  const code = keyCode(seed.musicalKey);
  return {
    genres: relatedGenres(seed.genre),
    ...(code === null ? {} : { keys: compatibleKeys(code) }),
    bpm: bpmWindows(seed.bpm),
  };
}
