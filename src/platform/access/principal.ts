/** Personal-access-token scopes. A route declares the one it needs; sessions hold them all. */
export const SCOPES = [
  'account:read',
  'account:write',
  'catalog:read',
  'catalog:write',
  'commerce:read',
  'commerce:write',
  'requests:read',
  'requests:write',
  'social:read',
  'social:write',
  'messaging:read',
  'messaging:write',
  'library:read',
  'library:write',
  'radio',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes a personal access token gets when none are asked for: everything but admin. */
export const DEFAULT_TOKEN_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== 'admin');

export interface Principal {
  userId: string;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  via: 'session' | 'personal_access_token';
  /** the refresh family an access token belongs to */
  sessionId?: string;
  /** the personal access token used */
  tokenId?: string;
  /** null: unrestricted (a login session) */
  scopes: readonly Scope[] | null;
  /** when the credential stops working (application clock): the access token's exp, the token's expiry */
  expiresAt?: Date;
}

/** Turns a bearer token into a principal, or throws unauthenticated / token_expired. */
export abstract class PrincipalResolver {
  abstract resolve(token: string): Promise<Principal>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
