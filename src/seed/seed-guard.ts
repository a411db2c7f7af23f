/**
 * The demo data holds accounts with a published password, one of them an admin: it must never
 * land in a production database by accident. The seed refuses, with one line, when NODE_ENV is
 * production or the database is not on this machine, unless SEED_ALLOW=1 says it is meant.
 */
export function seedRefusal(
  env: Record<string, string | undefined>,
  databaseUrl: string | undefined,
): string | null {
  if (env.SEED_ALLOW === '1') return null;
  if (env.NODE_ENV === 'production') {
    return 'Refusing to seed demo accounts (published passwords, an admin) with NODE_ENV=production; set SEED_ALLOW=1 if you mean it';
  }
  if (databaseUrl) {
    const host = new URL(databaseUrl).hostname;
    if (!['localhost', '127.0.0.1', '::1', '[::1]'].includes(host)) {
      return `Refusing to seed demo accounts (published passwords, an admin) into PostgreSQL at ${host}, which is not this machine; set SEED_ALLOW=1 if you mean it`;
    }
  }
  return null;
}
