import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError } from './config-error';
import { assertFleetSettings, readInstanceCount } from './fleet';

/**
 * Typed, validated configuration. Built once from the environment at boot (or from an explicit
 * map in tests, so several apps can run side by side with different settings) and injected as
 * `AppConfig`. A bad value fails fast with one line naming the variable (a `ConfigError`).
 */
export { ConfigError };

export interface Limits {
  /** per user per minute, every authenticated route */
  ratePerMinute: number;
  rateLoginPerMinute: number;
  ratePasswordResetPerMinute: number;
  rateAnonymousPerMinute: number;
  loginFailures: number;
  loginFailureWindowSeconds: number;
  accessTokenSeconds: number;
  refreshTokenDays: number;
  /** absolute lifetime of a session (refresh family) from its login, however often it is refreshed */
  sessionMaxDays: number;
  emailTokenSeconds: number;
  patDefaultDays: number;
  patMaxDays: number;
  idempotencySeconds: number;
  uploadBytes: number;
  reconSimilarity: number;
  duplicateSimilarity: number;
  platformFeeBps: number;
  checkoutSeconds: number;
  downloadLinkSeconds: number;
  submissionsPerRequest: number;
  messageChars: number;
  messagesPerMinute: number;
  libraryItems: number;
  playlists: number;
  playlistTracks: number;
  playlistEditors: number;
  reinviteCooldownSeconds: number;
  invitationSeconds: number;
  following: number;
  followsPerHour: number;
  repostsPerHour: number;
  repostsPerDay: number;
  streamHeartbeatSeconds: number;
  processingTimeoutSeconds: number;
  /** open GET /me/events streams per user, over every instance; a new one ends the oldest */
  eventStreamsPerUser: number;
  /** how often an event stream sends its keep-alive and re-checks the credential that opened it */
  eventStreamHeartbeatSeconds: number;
  /** how long a signed media URL (GET /tracks/:id/stream's redirect) is valid */
  streamLinkSeconds: number;
  /** the longest voice tag a producer may upload */
  voiceTagSeconds: number;
  /** a voice tag is mixed in at 0 s and every this many seconds of the tagged rendition */
  voiceTagIntervalSeconds: number;
  /** a sale's legs are pending this long, then available for transfer */
  earningsHoldDays: number;
  transferMinimumCents: number;
  /** a buyer may ask for a refund this long after paying, before any download */
  refundWindowHours: number;
  /** people credited on a track, the owner included */
  trackCollaborators: number;
  /** packs a producer may own */
  packsPerUser: number;
  /** tracks in one pack */
  packTracks: number;
  /** wrong access codes per pack link and IP in 15 minutes; the next attempt is too_many_requests */
  accessCodeAttempts: number;
}

/** Injection token and type of the validated configuration. */
export abstract class AppConfig {
  port!: number;
  host!: string;
  /** unset → an embedded PostgreSQL is started under dataDir */
  databaseUrl?: string;
  redisUrl?: string;
  appUrl!: string;
  dataDir!: string;
  /** local driver: where objects live; both drivers: the upload spool (tmp/) */
  storageDir!: string;
  /** set (`STORAGE_URL=s3://bucket/prefix`) → audio lives in S3-compatible object storage */
  s3?: S3Settings;
  smtpUrl?: string;
  mailFrom!: string;
  adminEmail?: string;
  adminPassword?: string;
  /** HMAC secret for access tokens and signed links; unset → generated once under dataDir */
  jwtSecret?: string;
  /** unset → payments answer payment_initialization_failed */
  stripeSecretKey?: string;
  /** unset → every webhook is refused (only allowed while no secret key is set either) */
  stripeWebhookSecret?: string;
  /** signing secret of the Connect webhook endpoint (account.updated of connected accounts) */
  stripeConnectWebhookSecret?: string;
  stripeApiBaseUrl?: string;
  /** per attempt; with the retries, a Stripe call gives up well within REQUEST_TIMEOUT_MS */
  stripeTimeoutMs!: number;
  stripeMaxNetworkRetries!: number;
  testHooks!: boolean;
  jobsAutorun!: boolean;
  /** how often pg-boss looks for expired (crashed) jobs, seconds */
  jobsSuperviseSeconds!: number;
  /**
   * Submissions to one request that arrive while this instance's call for it runs go together in
   * its next call (SubmissionsService); false (SUBMISSION_BATCHING=0): one call per submission,
   * for the benchmark's unbatched line
   */
  submissionBatching!: boolean;
  requestTimeoutMs!: number;
  logLevel!: string;
  migrateOnStart!: boolean;
  /** which hops may name the client's address in X-Forwarded-For (see `trustProxy` below); false: none */
  trustProxy!: false | number | string[];
  /** origins of web clients allowed by CORS (exact `scheme://host[:port]`); empty → none */
  corsOrigins!: string[];
  /** the built admin console (`npm run build`); unset → dist/admin of the project */
  adminConsoleDir?: string;
  /** how many instances run on this database (declared: INSTANCE_COUNT; see fleet.ts) */
  instanceCount!: number;
  limits!: Limits;
}

export interface S3Settings {
  bucket: string;
  /** '' or ending in '/' */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** unset → the SDK's default chain (instance role, profile…); only without S3_ENDPOINT */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `redirect`: a download answers 302 to a presigned URL; `proxy`: the server streams it */
  downloads: 'redirect' | 'proxy';
  presignSeconds: number;
}

type Env = Record<string, string | undefined>;

type Parser<T> = (raw: string, name: string) => T;

const int =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
    }
    return n;
  };

const num =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be a number between ${min} and ${max} (got "${raw}")`);
    }
    return n;
  };

const bool: Parser<boolean> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (got "${raw}")`);
};

const url =
  (...protocols: string[]): Parser<string> =>
  (raw, name) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`${name} must be a URL (got "${raw}")`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(
        `${name} must be a ${protocols.join(' or ')}// URL (got "${parsed.protocol}//…")`,
      );
    }
    return raw;
  };

const str: Parser<string> = (raw) => raw;

/** A comma-separated list of exact origins (`https://app.example.com`); `*` is refused (credentials). */
const origins: Parser<string[]> = (raw, name) =>
  raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(o);
      } catch {
        // reported below
      }
      if (
        !parsed ||
        !['http:', 'https:'].includes(parsed.protocol) ||
        parsed.origin !== o.replace(/\/+$/, '')
      ) {
        throw new ConfigError(`${name} must list origins like https://app.example.com (got "${o}")`);
      }
      return parsed.origin;
    });

const email: Parser<string> = (raw, name) => {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw.trim()))
    throw new ConfigError(`${name} must be an email address`);
  return raw.trim().toLowerCase();
};

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address or CIDR as Fastify's trustProxy (proxy-addr) takes it: `10.0.0.1`, `10.0.0.0/8`, `::1/128`, `loopback`. */
const proxyAddress = (entry: string): boolean => {
  if (PROXY_RANGES.includes(entry)) return true;
  const [ip, bits, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
};

/**
 * TRUST_PROXY: which hops in front of the server may name the client's address in
 * X-Forwarded-For (the per-IP budgets count by it). A hop count (`1`: one proxy, the address it
 * saw is the client's, whatever a client wrote into the header), or the proxies' addresses/CIDRs
 * (`10.0.0.0/8,127.0.0.1`: hops from those are skipped); `0` or unset: none, the socket's address.
 * "Trust every hop" is refused: any client could then choose its own address.
 */
const trustProxy: Parser<false | number | string[]> = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  if (/^\d+$/.test(v)) return int(1, 32)(v, name);
  if (['true', 'yes', 'on', 'all', '*'].includes(v)) {
    throw new ConfigError(
      `${name} must be a hop count (e.g. 1 behind one load balancer) or the proxies' addresses/CIDRs, not "${raw}" (trusting every hop lets any client choose its IP)`,
    );
  }
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = entries.find((e) => !proxyAddress(e));
  if (bad !== undefined || !entries.length) {
    throw new ConfigError(
      `${name} must be a hop count or a comma-separated list of IP addresses/CIDRs (got "${bad ?? raw}")`,
    );
  }
  return entries;
};

function read<T>(env: Env, name: string, parse: Parser<T>): T | undefined;
function read<T>(env: Env, name: string, parse: Parser<T>, fallback: T): T;
function read<T>(env: Env, name: string, parse: Parser<T>, fallback?: T): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return parse(raw, name);
}

const LIMITS: { [K in keyof Limits]: [env: string, fallback: number, parser: Parser<number>] } = {
  ratePerMinute: ['LIMIT_RATE_PER_MINUTE', 300, int(1, 1e9)],
  rateLoginPerMinute: ['LIMIT_RATE_LOGIN_PER_MINUTE', 5, int(1, 1e9)],
  ratePasswordResetPerMinute: ['LIMIT_RATE_PASSWORD_RESET_PER_MINUTE', 3, int(1, 1e9)],
  rateAnonymousPerMinute: ['LIMIT_RATE_ANONYMOUS_PER_MINUTE', 60, int(1, 1e9)],
  loginFailures: ['LIMIT_LOGIN_FAILURES', 5, int(1, 1e6)],
  loginFailureWindowSeconds: ['LIMIT_LOGIN_FAILURE_WINDOW_SECONDS', 60, int(1, 86_400)],
  accessTokenSeconds: ['LIMIT_ACCESS_TOKEN_SECONDS', 3600, int(60, 86_400)],
  refreshTokenDays: ['LIMIT_REFRESH_TOKEN_DAYS', 30, int(1, 365)],
  sessionMaxDays: ['LIMIT_SESSION_MAX_DAYS', 90, int(1, 3650)],
  emailTokenSeconds: ['LIMIT_EMAIL_TOKEN_SECONDS', 86_400, int(60, 30 * 86_400)],
  patDefaultDays: ['LIMIT_PAT_DEFAULT_DAYS', 90, int(1, 3650)],
  patMaxDays: ['LIMIT_PAT_MAX_DAYS', 365, int(1, 3650)],
  idempotencySeconds: ['LIMIT_IDEMPOTENCY_SECONDS', 86_400, int(60, 30 * 86_400)],
  uploadBytes: ['LIMIT_UPLOAD_BYTES', 256 * 1024 * 1024, int(1024, 8 * 1024 ** 3)],
  reconSimilarity: ['LIMIT_RECON_SIMILARITY', 0.8, num(0, 1)],
  duplicateSimilarity: ['LIMIT_DUPLICATE_SIMILARITY', 0.95, num(0, 1)],
  platformFeeBps: ['LIMIT_PLATFORM_FEE_BPS', 1500, int(0, 10_000)],
  checkoutSeconds: ['LIMIT_CHECKOUT_SECONDS', 1800, int(1, 86_400)],
  downloadLinkSeconds: ['LIMIT_DOWNLOAD_LINK_SECONDS', 900, int(1, 86_400)],
  submissionsPerRequest: ['LIMIT_SUBMISSIONS_PER_REQUEST', 5, int(1, 1000)],
  messageChars: ['LIMIT_MESSAGE_CHARS', 2000, int(1, 100_000)],
  messagesPerMinute: ['LIMIT_MESSAGES_PER_MINUTE', 30, int(1, 1e6)],
  libraryItems: ['LIMIT_LIBRARY_ITEMS', 10_000, int(1, 1e7)],
  playlists: ['LIMIT_PLAYLISTS', 100, int(1, 1e6)],
  playlistTracks: ['LIMIT_PLAYLIST_TRACKS', 500, int(1, 1e6)],
  playlistEditors: ['LIMIT_PLAYLIST_EDITORS', 10, int(1, 1000)],
  reinviteCooldownSeconds: ['LIMIT_REINVITE_COOLDOWN_SECONDS', 86_400, int(0, 365 * 86_400)],
  invitationSeconds: ['LIMIT_INVITATION_SECONDS', 7 * 86_400, int(1, 365 * 86_400)],
  following: ['LIMIT_FOLLOWING', 5000, int(1, 1e7)],
  followsPerHour: ['LIMIT_FOLLOWS_PER_HOUR', 60, int(1, 1e6)],
  repostsPerHour: ['LIMIT_REPOSTS_PER_HOUR', 20, int(1, 1e6)],
  repostsPerDay: ['LIMIT_REPOSTS_PER_DAY', 100, int(1, 1e6)],
  streamHeartbeatSeconds: ['LIMIT_STREAM_HEARTBEAT_SECONDS', 60, int(1, 86_400)],
  /** a processing job running longer is taken for crashed and retried */
  processingTimeoutSeconds: ['LIMIT_PROCESSING_TIMEOUT_SECONDS', 900, int(1, 86_400)],
  eventStreamsPerUser: ['LIMIT_EVENT_STREAMS_PER_USER', 5, int(1, 1000)],
  eventStreamHeartbeatSeconds: ['LIMIT_EVENT_STREAM_HEARTBEAT_SECONDS', 25, int(1, 3600)],
  streamLinkSeconds: ['LIMIT_STREAM_LINK_SECONDS', 300, int(10, 86_400)],
  voiceTagSeconds: ['LIMIT_VOICE_TAG_SECONDS', 10, int(1, 60)],
  voiceTagIntervalSeconds: ['LIMIT_VOICE_TAG_INTERVAL_SECONDS', 30, int(5, 3600)],
  earningsHoldDays: ['LIMIT_EARNINGS_HOLD_DAYS', 7, int(0, 365)],
  transferMinimumCents: ['LIMIT_TRANSFER_MINIMUM_CENTS', 1000, int(1, 1e9)],
  refundWindowHours: ['LIMIT_REFUND_WINDOW_HOURS', 24, int(0, 24 * 365)],
  trackCollaborators: ['LIMIT_TRACK_COLLABORATORS', 10, int(1, 1000)],
  packsPerUser: ['LIMIT_PACKS_PER_USER', 100, int(1, 1e6)],
  packTracks: ['LIMIT_PACK_TRACKS', 50, int(1, 1000)],
  accessCodeAttempts: ['LIMIT_ACCESS_CODE_ATTEMPTS', 10, int(1, 1e6)],
};

/** Every variable the application reads, for the README and for typo detection in tests. */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'REDIS_URL',
  'APP_URL',
  'DATA_DIR',
  'STORAGE_DIR',
  'STORAGE_URL',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_FORCE_PATH_STYLE',
  'S3_DOWNLOADS',
  'S3_PRESIGN_SECONDS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'SMTP_URL',
  'MAIL_FROM',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'JWT_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_CONNECT_WEBHOOK_SECRET',
  'STRIPE_API_BASE_URL',
  'STRIPE_TIMEOUT_MS',
  'STRIPE_MAX_NETWORK_RETRIES',
  'TEST_HOOKS',
  'JOBS_AUTORUN',
  'JOBS_SUPERVISE_SECONDS',
  'SUBMISSION_BATCHING',
  'REQUEST_TIMEOUT_MS',
  'LOG_LEVEL',
  'MIGRATE_ON_START',
  'TRUST_PROXY',
  'CORS_ORIGINS',
  'ADMIN_CONSOLE_DIR',
  'INSTANCE_COUNT',
  'NODE_ENV',
  ...Object.values(LIMITS).map(([name]) => name),
];

const S3_ONLY = ['S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE', 'S3_DOWNLOADS', 'S3_PRESIGN_SECONDS'];

/**
 * `STORAGE_URL=s3://bucket/prefix` and its companions. Fails closed: an S3 setting without
 * STORAGE_URL (a typo would silently keep audio on one machine's disk), no region, or a custom
 * endpoint without credentials (only AWS itself has instance roles) refuse to start.
 */
function s3Settings(env: Env): S3Settings | undefined {
  const raw = read(env, 'STORAGE_URL', str);
  if (raw === undefined) {
    const stray = S3_ONLY.find((name) => read(env, name, str) !== undefined);
    if (stray)
      throw new ConfigError(`${stray} is set but STORAGE_URL is not (STORAGE_URL=s3://bucket/prefix)`);
    return undefined;
  }
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(raw.trim());
  if (!match || match[1].includes('..')) {
    throw new ConfigError(
      `STORAGE_URL must be s3://bucket/prefix with a bucket of 3–63 lower-case letters, digits, dots or dashes (got "${raw}")`,
    );
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  const region = read(env, 'S3_REGION', str);
  if (!region?.trim()) throw new ConfigError('S3_REGION must be set when STORAGE_URL is (e.g. us-east-1)');
  const endpoint = read(env, 'S3_ENDPOINT', url('http:', 'https:'));
  const accessKeyId = read(env, 'AWS_ACCESS_KEY_ID', str);
  const secretAccessKey = read(env, 'AWS_SECRET_ACCESS_KEY', str);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
  }
  if (endpoint !== undefined && accessKeyId === undefined) {
    throw new ConfigError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set when S3_ENDPOINT is');
  }
  const downloads = read(env, 'S3_DOWNLOADS', str, 'redirect');
  if (downloads !== 'redirect' && downloads !== 'proxy') {
    throw new ConfigError(`S3_DOWNLOADS must be redirect or proxy (got "${downloads}")`);
  }
  return {
    bucket: match[1],
    prefix: prefix ? `${prefix}/` : '',
    region: region.trim(),
    endpoint,
    forcePathStyle: read(env, 'S3_FORCE_PATH_STYLE', bool, false),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    downloads,
    presignSeconds: read(env, 'S3_PRESIGN_SECONDS', int(1, 3600), 60),
  };
}

export function loadConfig(env: Env): AppConfig {
  const dataDir = resolve(read(env, 'DATA_DIR', str, './.data'));
  const limits = Object.fromEntries(
    Object.entries(LIMITS).map(([key, [name, fallback, parse]]) => [key, read(env, name, parse, fallback)]),
  ) as unknown as Limits;

  const adminEmail = read(env, 'ADMIN_EMAIL', email);
  const adminPassword = read(env, 'ADMIN_PASSWORD', str);
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters');
  }
  const jwtSecret = read(env, 'JWT_SECRET', str);
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }
  const stripeSecretKey = read(env, 'STRIPE_SECRET_KEY', str);
  const stripeWebhookSecret = read(env, 'STRIPE_WEBHOOK_SECRET', str);
  // Fail closed: payments without verifiable webhooks would fulfil nothing, and the old
  // placeholders are public (they were in the source), so anyone could sign with them.
  if (stripeSecretKey !== undefined && stripeWebhookSecret === undefined) {
    throw new ConfigError(
      'STRIPE_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is (the whsec_… signing secret of your Stripe webhook endpoint)',
    );
  }
  const stripeConnectWebhookSecret = read(env, 'STRIPE_CONNECT_WEBHOOK_SECRET', str);
  // the same for Connect: payout accounts whose readiness never arrives would hold money forever
  if (stripeSecretKey !== undefined && stripeConnectWebhookSecret === undefined) {
    throw new ConfigError(
      'STRIPE_CONNECT_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is (the whsec_… signing secret of your Stripe Connect webhook endpoint)',
    );
  }
  if (stripeSecretKey === 'sk_test_placeholder' || stripeWebhookSecret === 'whsec_placeholder') {
    throw new ConfigError(
      'STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be real Stripe credentials, not placeholders',
    );
  }

  const testHooks = read(env, 'TEST_HOOKS', bool, false);
  // anonymous routes that move every instance's clock and run its jobs: never where it is real
  if (testHooks && env.NODE_ENV?.trim().toLowerCase() === 'production') {
    throw new ConfigError(
      'TEST_HOOKS=1 is refused with NODE_ENV=production (the test hooks move the clock of every instance)',
    );
  }

  const instanceCount = readInstanceCount(env);
  assertFleetSettings(env, instanceCount);

  return {
    port: read(env, 'PORT', int(0, 65_535), 3000),
    host: read(env, 'HOST', str, '0.0.0.0'),
    databaseUrl: read(env, 'DATABASE_URL', url('postgres:', 'postgresql:')),
    redisUrl: read(env, 'REDIS_URL', url('redis:', 'rediss:')),
    appUrl: read(env, 'APP_URL', url('http:', 'https:'), 'http://localhost:3000').replace(/\/+$/, ''),
    dataDir,
    storageDir: resolve(read(env, 'STORAGE_DIR', str, `${dataDir}/storage`)),
    s3: s3Settings(env),
    smtpUrl: read(env, 'SMTP_URL', url('smtp:', 'smtps:')),
    mailFrom: read(env, 'MAIL_FROM', str, 'Beat Platform <no-reply@beat-platform.local>'),
    adminEmail,
    adminPassword,
    jwtSecret,
    stripeSecretKey,
    stripeWebhookSecret,
    stripeConnectWebhookSecret,
    stripeApiBaseUrl: read(env, 'STRIPE_API_BASE_URL', url('http:', 'https:')),
    stripeTimeoutMs: read(env, 'STRIPE_TIMEOUT_MS', int(100, 120_000), 8_000),
    stripeMaxNetworkRetries: read(env, 'STRIPE_MAX_NETWORK_RETRIES', int(0, 5), 2),
    testHooks,
    jobsAutorun: read(env, 'JOBS_AUTORUN', bool, true),
    jobsSuperviseSeconds: read(env, 'JOBS_SUPERVISE_SECONDS', int(1, 3600), 30),
    submissionBatching: read(env, 'SUBMISSION_BATCHING', bool, true),
    requestTimeoutMs: read(env, 'REQUEST_TIMEOUT_MS', int(100, 600_000), 30_000),
    logLevel: read(env, 'LOG_LEVEL', str, 'info'),
    migrateOnStart: read(env, 'MIGRATE_ON_START', bool, true),
    trustProxy: read(env, 'TRUST_PROXY', trustProxy, false),
    corsOrigins: read(env, 'CORS_ORIGINS', origins, []),
    adminConsoleDir: read(env, 'ADMIN_CONSOLE_DIR', str),
    instanceCount,
    limits,
  };
}
