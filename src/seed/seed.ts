import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../app.factory';
import { ConfigError, loadConfig } from '../config/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../platform/database/embedded-postgres';
import { assertReachable, migrateDatabase } from '../platform/database/migrations';
import { DemoSeeder } from './demo-seeder';
import { seedRefusal } from './seed-guard';

const EMBEDDED_DATABASE = 'beat_platform';

/**
 * `npm run seed`: fills the configured database (the embedded one of `npm start` by default) with
 * a small demo platform, through the application's own code, then prints the accounts to sign in
 * with. Running it again changes nothing.
 */
async function main(): Promise<void> {
  const env = process.env;
  const config = loadConfig({
    ...env,
    // the seed drains the jobs it queues itself, and is the only client of its in-process app
    JOBS_AUTORUN: '0',
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    LIMIT_RATE_PER_MINUTE: '1000000',
    LIMIT_RATE_LOGIN_PER_MINUTE: '1000000',
  });
  const refusal = seedRefusal(env, config.databaseUrl);
  if (refusal) throw new SeedError(refusal);

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    const dir = `${config.dataDir}/postgres`;
    const running = runningEmbedded(dir);
    if (running) {
      config.databaseUrl = running;
      console.log(`Using the embedded PostgreSQL of the running server (${dir})`);
    } else {
      embedded = await startEmbeddedPostgres(dir, {
        database: EMBEDDED_DATABASE,
        persistent: true,
        preferredPort: 54329,
      });
      config.databaseUrl = embedded.url;
      console.log(`Embedded PostgreSQL started (${dir})`);
    }
  }
  try {
    await assertReachable(config.databaseUrl);
    if (config.migrateOnStart) await migrateDatabase(config.databaseUrl);
    const app = await createApp(config);
    try {
      const started = Date.now();
      const report = await new DemoSeeder(app).run();
      console.log(
        `\nDemo data ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.created} things created, ${report.found} already there.`,
      );
      console.log(`\nSign in with (password for every account: ${report.accounts[0].password}):`);
      for (const a of report.accounts) console.log(`  ${a.email.padEnd(20)} ${a.shows}`);
      console.log(`\nThen: npm start, and open ${config.appUrl}/admin`);
    } finally {
      await app.close();
    }
  } finally {
    await embedded
      ?.stop()
      .catch((e: Error) => console.error(`embedded PostgreSQL stop failed: ${e.message}`));
  }
}

class SeedError extends Error {}

/** The URL of the embedded PostgreSQL when `npm start` is running it now (its postmaster.pid). */
function runningEmbedded(dir: string): string | null {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return null; // a stale file: the server is not running
  }
  return `postgresql://postgres:postgres@127.0.0.1:${port.trim()}/${EMBEDDED_DATABASE}`;
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`Invalid configuration: ${err.message}`);
  else if (err instanceof SeedError) console.error(err.message);
  else if (err instanceof Error && err.message.startsWith('Cannot reach PostgreSQL'))
    console.error(err.message);
  else console.error(err);
  process.exit(1);
});
