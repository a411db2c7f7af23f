/**
 * The console's only way to the server: the public /api/v1 routes with the admin's bearer token.
 * The session lives in this module's memory and nowhere else (no localStorage, no cookie), so a
 * reload or a closed tab asks to sign in again; within the page's life an expired access token is
 * renewed once with the refresh token, itself only in memory.
 */

export interface Session {
  email: string;
  accessToken: string;
  refreshToken: string;
}

/** An API error as shown to the admin: the catalogue's message for its code, never a raw body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** validation failures: field → messages (from the envelope's `errors`) */
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

let session: Session | null = null;
let catalogue: Map<string, string> | null = null;
const listeners = new Set<() => void>();

export const currentSession = (): Session | null => session;
export const onSessionChange = (fn: () => void): (() => void) => {
  listeners.add(fn);
  return () => listeners.delete(fn);
};
const setSession = (next: Session | null) => {
  session = next;
  listeners.forEach((fn) => fn());
};

/** The error catalogue (code → message), fetched once; the console never shows another text. */
async function messages(): Promise<Map<string, string>> {
  if (catalogue) return catalogue;
  try {
    const res = await fetch('/api/v1/errors', { headers: { accept: 'application/json' } });
    const body = (await res.json()) as { data: { code: string; message: string }[] };
    catalogue = new Map(body.data.map((e) => [e.code, e.message]));
  } catch {
    return new Map();
  }
  return catalogue;
}

const UNREACHABLE = 'The server cannot be reached. Check your connection and try again.';

async function toError(res: Response): Promise<ApiError> {
  let code = 'unexpected_response';
  let fields: Record<string, string[]> = {};
  try {
    const body = (await res.json()) as { code?: unknown; errors?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (body.errors && typeof body.errors === 'object') fields = body.errors as Record<string, string[]>;
  } catch {
    // not our envelope (a proxy's page, say): say so without showing it
  }
  const message = (await messages()).get(code) ?? `The server answered unexpectedly (HTTP ${res.status}).`;
  return new ApiError(res.status, code, message, fields);
}

async function send(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  try {
    return await fetch(`/api/v1${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', UNREACHABLE);
  }
}

let refreshing: Promise<boolean> | null = null;

/** Renews the access token once (concurrent callers share the attempt). */
function refresh(): Promise<boolean> {
  const s = session;
  if (!s) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const res = await send('POST', '/auth/refresh', { refresh_token: s.refreshToken }, {});
      if (!res.ok) return false;
      const pair = (await res.json()) as { access_token: string; refresh_token: string };
      if (session === s)
        setSession({ ...s, accessToken: pair.access_token, refreshToken: pair.refresh_token });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface CallOptions {
  body?: unknown;
  /** the version the admin saw: a change made meanwhile answers stale_version */
  ifMatch?: number;
}

/** Calls an API route as the signed-in admin. A session that cannot be renewed ends here. */
export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const attempt = () => {
    const s = session;
    if (!s) throw new ApiError(401, 'unauthenticated', 'Sign in to continue.');
    return send(method, path, options.body, {
      authorization: `Bearer ${s.accessToken}`,
      ...(options.ifMatch === undefined ? {} : { 'if-match': `"${options.ifMatch}"` }),
    });
  };
  // Admin routes answer a caller without a valid token as they answer anyone else: not found.
  // Whether the token has lapsed is asked of a route that says so (GET /me: 401).
  const lapsed = async (res: Response): Promise<boolean> => {
    if (res.status === 401) return true;
    if (res.status !== 404 || !path.startsWith('/admin/') || !session) return false;
    const me = await send('GET', '/me', undefined, { authorization: `Bearer ${session.accessToken}` });
    return me.status === 401;
  };
  let res = await attempt();
  if (await lapsed(res)) {
    if (await refresh()) res = await attempt();
    if (await lapsed(res)) {
      setSession(null);
      throw new ApiError(401, 'session_ended', 'Your session has ended. Sign in again.');
    }
  }
  if (!res.ok) throw await toError(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/**
 * Signs in with the public login route, then proves the account is an admin by reading an admin
 * route. Anyone else gets exactly what the API says to them there (route_not_found), and the
 * session just opened is closed again.
 */
export async function signIn(email: string, password: string): Promise<void> {
  await messages();
  const res = await send('POST', '/auth/login', { email, password }, {});
  if (!res.ok) throw await toError(res);
  const pair = (await res.json()) as { access_token: string; refresh_token: string };
  const candidate: Session = { email, accessToken: pair.access_token, refreshToken: pair.refresh_token };
  const probe = await send('GET', '/admin/maintenance', undefined, {
    authorization: `Bearer ${candidate.accessToken}`,
  });
  if (!probe.ok) {
    const error = await toError(probe);
    await send('POST', '/auth/logout', undefined, {
      authorization: `Bearer ${candidate.accessToken}`,
    }).catch(() => undefined);
    throw error;
  }
  setSession(candidate);
}

/** Ends the session on the server too (its refresh family is revoked), then forgets it. */
export async function signOut(): Promise<void> {
  const s = session;
  setSession(null);
  if (s) {
    await send('POST', '/auth/logout', undefined, { authorization: `Bearer ${s.accessToken}` }).catch(
      () => undefined,
    );
  }
}

export const qs = (params: Record<string, string | number | undefined | null>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

// ---- the shapes the console reads (see the OpenAPI document, tag "admin") -------------------

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface AdminUser {
  id: string;
  email: string;
  display_name: string;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  email_verified: boolean;
  plan_id: string;
  permissions: string[];
  suspended_at: string | null;
  suspended_reason: string | null;
  artist: { id: string; name: string; slug: string; verified: boolean } | null;
  version: number;
  created_at: string;
}

export interface AuditEntry {
  id: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  reason: string | null;
  data: Record<string, unknown> | null;
  created_at: string;
}

export interface BackstageRequest {
  id: string;
  user_id: string;
  type: string;
  status: string;
  first_name: string;
  last_name: string;
  beats_link: string | null;
  artist_id: string | null;
  message: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decision_notes: string | null;
  created_at: string;
}

export interface License {
  id: string;
  certificate_number: string;
  track_id: string;
  track_title: string;
  holder_id: string;
  type: string;
  status: 'active' | 'revoked';
  source: string;
  price_cents: number;
  currency: string;
  issued_at: string;
  revoked_at: string | null;
}

export interface Plan {
  id: string;
  name: string;
  price_cents: number;
  currency: string;
}

export interface Maintenance {
  enabled: boolean;
  message: string | null;
}

export interface Holds {
  waiting_on_accounts: { user_id: string; currency: string; amount_cents: number; reason: string }[];
  waiting_on_acceptance: { user_id: string; track_id: string; currency: string; amount_cents: number }[];
  failed_transfers: {
    id: string;
    user_id: string;
    currency: string;
    amount_cents: number;
    failure: string | null;
    at: string;
  }[];
  open_disputes: {
    purchase_id: string;
    currency: string;
    amount_cents: number;
    frozen_cents: number;
    disputed_at: string;
  }[];
}

export interface Purchase {
  id: string;
  status: string;
  amount_cents: number;
  currency: string;
  refund_requested_at: string | null;
  dispute_status: string | null;
}
