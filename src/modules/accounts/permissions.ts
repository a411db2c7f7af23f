/** Permissions an admin can grant or revoke per user. */
export const PERMISSIONS = ['backstage_requests.create'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What every verified user holds unless an admin revoked it. */
const VERIFIED_DEFAULTS: readonly Permission[] = ['backstage_requests.create'];

export function effectivePermissions(
  emailVerified: boolean,
  overrides: readonly { permission: string; granted: boolean }[],
): Permission[] {
  const out = new Set<Permission>(emailVerified ? VERIFIED_DEFAULTS : []);
  for (const o of overrides) {
    if (!(PERMISSIONS as readonly string[]).includes(o.permission)) continue;
    if (o.granted) out.add(o.permission as Permission);
    else out.delete(o.permission as Permission);
  }
  return [...out].sort();
}
