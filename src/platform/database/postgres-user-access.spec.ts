import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedPostgresAccessProblem, firstDirectoryUserCannotEnter } from './postgres-user-access';

const isRoot = process.getuid?.() === 0;

/** (startEmbeddedPostgres itself, through `npm start`'s main: test/platform/embedded-postgres-root.e2e-spec.ts) */
describe('the embedded PostgreSQL run as root from a folder its user cannot enter', () => {
  let closed: string; // what `mktemp -d` makes: 0700, owned by whoever ran it

  beforeEach(() => {
    closed = mkdtempSync(join(tmpdir(), 'beat-closed-'));
    chmodSync(closed, 0o700);
  });

  afterEach(() => rmSync(closed, { recursive: true, force: true }));

  it('names the checkout when the binaries are out of reach (a clone under /root)', () => {
    const binaries = join(closed, 'clone', 'node_modules', 'embedded-postgres', 'dist');
    mkdirSync(binaries, { recursive: true });
    // a user that does not exist yet (embedded-postgres creates it) can enter only what anyone can
    expect(
      embeddedPostgresAccessProblem(join(closed, 'clone', '.data', 'postgres'), 'TEST_DATABASE_URL', {
        root: true,
        user: 'beat-no-such-user',
        binaries,
      }),
    ).toBe(
      `Embedded PostgreSQL cannot run as root from ${join(closed, 'clone')}: the beat-no-such-user user ` +
        `cannot enter ${closed}; move the checkout (e.g. under /srv) or set TEST_DATABASE_URL`,
    );
  });

  it('finds the first directory a user cannot enter, and none once it can', () => {
    const inner = join(closed, 'a', 'b');
    mkdirSync(inner, { recursive: true });
    const user = isRoot ? 'postgres' : 'beat-no-such-user';
    expect(firstDirectoryUserCannotEnter(inner, user)).toBe(closed);
    // a directory not there yet ends the walk: whoever creates it decides
    chmodSync(closed, 0o755);
    expect(firstDirectoryUserCannotEnter(join(inner, 'not-yet', 'deeper'), user)).toBeNull();
    expect(embeddedPostgresAccessProblem(inner, 'DATABASE_URL', { root: true, user })).toBeNull();
    // not root: PostgreSQL runs as this process's user, so no check at all
    chmodSync(closed, 0o700);
    expect(embeddedPostgresAccessProblem(inner, 'DATABASE_URL', { root: false, user })).toBeNull();
  });
});
