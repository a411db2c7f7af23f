/**
 * The demo platform `npm run seed` builds: who is on it and what they made. Everything is keyed
 * by something natural (an email, a slug, a title), which is how a second run finds it again.
 */

export const DEMO_PASSWORD = 'demo-password-1';

export interface DemoAccount {
  key: string;
  email: string;
  name: string;
  role?: 'admin';
  /** what the account shows in the demo, printed at the end */
  shows: string;
  artist?: { name: string; slug: string };
}

export const ACCOUNTS: DemoAccount[] = [
  {
    key: 'admin',
    email: 'admin@demo.local',
    name: 'Ada Admin',
    role: 'admin',
    shows: 'the admin console at /admin',
  },
  {
    key: 'nova',
    email: 'nova@demo.local',
    name: 'Nova Reyes',
    shows: 'producer, verified artist, sold a lease',
    artist: { name: 'Nova Beats', slug: 'nova-beats' },
  },
  {
    key: 'kilo',
    email: 'kilo@demo.local',
    name: 'Kilo Mensah',
    shows: 'producer, verification request pending',
    artist: { name: 'Kilo Keys', slug: 'kilo-keys' },
  },
  {
    key: 'mira',
    email: 'mira@demo.local',
    name: 'Mira Holm',
    shows: 'producer',
    artist: { name: 'Mira Sound', slug: 'mira-sound' },
  },
  {
    key: 'jay',
    email: 'jay@demo.local',
    name: 'Jay Rivers',
    shows: 'artist on the pro plan, open beat request with submissions',
    artist: { name: 'Jay Rivers', slug: 'jay-rivers' },
  },
  { key: 'lena', email: 'lena@demo.local', name: 'Lena Park', shows: 'bought a basic lease' },
  {
    key: 'theo',
    email: 'theo@demo.local',
    name: 'Theo Blanc',
    shows: 'asked to join the producer program (pending)',
  },
  {
    key: 'rex',
    email: 'rex@demo.local',
    name: 'Rex Copycat',
    shows: 'suspended, with an audit trail',
  },
];

export interface DemoTrack {
  owner: string;
  title: string;
  bpm: number;
  genre: string;
  key: string;
  mood: string;
  tags: string;
  /** seed of the generated melody: a different piece per track */
  seed: number;
  offers: { type: 'basic' | 'premium' | 'unlimited' | 'exclusive'; price_cents: number }[];
}

const LEASES = [
  { type: 'basic', price_cents: 2999 },
  { type: 'premium', price_cents: 7999 },
  { type: 'unlimited', price_cents: 19999 },
  { type: 'exclusive', price_cents: 99999 },
] as const;

export const TRACKS: DemoTrack[] = [
  {
    owner: 'nova',
    title: 'Midnight Drive',
    bpm: 92,
    genre: 'trap',
    key: 'F minor',
    mood: 'dark',
    tags: 'dark,808',
    seed: 101,
    offers: [...LEASES],
  },
  {
    owner: 'nova',
    title: 'Glass Hearts',
    bpm: 140,
    genre: 'drill',
    key: 'C# minor',
    mood: 'tense',
    tags: 'drill,piano',
    seed: 102,
    offers: [...LEASES],
  },
  {
    owner: 'nova',
    title: 'Sunday Static',
    bpm: 84,
    genre: 'lo-fi',
    key: 'A major',
    mood: 'calm',
    tags: 'lofi,chill',
    seed: 103,
    offers: LEASES.slice(0, 2),
  },
  {
    owner: 'kilo',
    title: 'Copper Skies',
    bpm: 96,
    genre: 'boom bap',
    key: 'D minor',
    mood: 'nostalgic',
    tags: 'boombap,vinyl',
    seed: 201,
    offers: [...LEASES],
  },
  {
    owner: 'kilo',
    title: 'Neon Market',
    bpm: 120,
    genre: 'afrobeats',
    key: 'G major',
    mood: 'bright',
    tags: 'afro,dance',
    seed: 202,
    offers: LEASES.slice(0, 3),
  },
  {
    owner: 'mira',
    title: 'Paper Moons',
    bpm: 75,
    genre: 'r&b',
    key: 'E♭ major',
    mood: 'warm',
    tags: 'rnb,smooth',
    seed: 301,
    offers: LEASES.slice(0, 2),
  },
  {
    owner: 'mira',
    title: 'Low Tide',
    bpm: 128,
    genre: 'house',
    key: 'B minor',
    mood: 'hypnotic',
    tags: 'house,deep',
    seed: 302,
    offers: [...LEASES],
  },
];

/** Lena's lease: a basic license on Nova's first beat. */
export const SOLD_LEASE = { buyer: 'lena', track: 'Midnight Drive', type: 'basic' as const };

export const BEAT_REQUEST = {
  owner: 'jay',
  title: 'Moody trap for my summer single',
  description:
    'Looking for a moody trap beat around 90 BPM, sparse 808s, room for a sung hook. Think late-night city drive.',
  reference_track_url: 'https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC',
  duration_hours: 72 as const,
  genres: ['trap'],
  bpm_min: 85,
  bpm_max: 100,
  mood: 'moody',
};

/** Producers' submissions to Jay's request (one track each). */
export const SUBMISSIONS = [
  { producer: 'nova', track: 'Midnight Drive' },
  { producer: 'kilo', track: 'Copper Skies' },
  { producer: 'mira', track: 'Paper Moons' },
];

export const BACKSTAGE = [
  {
    user: 'nova',
    body: {
      type: 'verify-artist',
      first_name: 'Nova',
      last_name: 'Reyes',
      message: 'Producing since 2016; credits on request.',
    },
    decision: { action: 'approve', notes: 'Catalogue and credits checked.' },
  },
  {
    user: 'kilo',
    body: {
      type: 'verify-artist',
      first_name: 'Kilo',
      last_name: 'Mensah',
      message: 'My profile is Kilo Keys.',
    },
  },
  {
    user: 'theo',
    body: {
      type: 'become-artist',
      first_name: 'Theo',
      last_name: 'Blanc',
      beats_link: 'https://soundcloud.com/theo-blanc',
      message: 'Ten years of beat making, mostly house and garage.',
    },
  },
] as const;

export const SUSPENSION = {
  user: 'rex',
  revoke: 'backstage_requests.create',
  reason: "Uploaded other producers' beats as his own (three reports).",
};

/** Nova's public playlist, Kilo invited as an editor who adds a track of his own. */
export const PLAYLIST = {
  owner: 'nova',
  name: 'Late Night Sessions',
  description: 'Slow, dark and warm: beats for the last hours of the night.',
  tracks: ['Midnight Drive', 'Copper Skies', 'Low Tide'],
  editor: 'kilo',
  editorTrack: 'Neon Market',
};
