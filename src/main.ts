import './node-version-check';
import 'reflect-metadata';
import { createApp } from './app.factory';
import { gracefulShutdown } from './platform/health/lifecycle';
import { ConfigError, loadConfig } from './config/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './platform/database/embedded-postgres';
import { EmbeddedPostgresAccessError } from './platform/database/postgres-user-access';
import { assertReachable, migrateDatabase } from './platform/database/migrations';

/**
 * `npm start`: validate the configuration, start the embedded PostgreSQL when no DATABASE_URL
 * is given, apply migrations, serve. SIGTERM or Ctrl-C drains and exits within 10 s.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres(`${config.dataDir}/postgres`, {
      database: 'beat_platform',
      persistent: true,
      preferredPort: 54329,
    });
    config.databaseUrl = embedded.url;
    console.log(
      `Embedded PostgreSQL running (${config.dataDir}/postgres, ${embedded.url.replace(/:[^:@/]+@/, ':***@')})`,
    );
  }
  await assertReachable(config.databaseUrl);
  if (config.migrateOnStart) await migrateDatabase(config.databaseUrl);

  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  console.log(`API listening on http://localhost:${config.port}/api/v1 (docs: /api/v1/docs)`);

  // Graceful shutdown (see gracefulShutdown): readiness 503, requests and jobs finish (bounded),
  // pools close; exit within 10 s whatever happens. A second signal exits at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: draining (readiness 503, finishing in-flight requests and jobs)`);
    setTimeout(() => {
      console.error('shutdown took longer than 10 s: exiting');
      process.exit(1);
    }, 10_000).unref();
    void gracefulShutdown(app)
      .catch((e: Error) => console.error(`shutdown failed: ${e.message}`))
      .then(() => embedded?.stop())
      .catch((e: Error) => console.error(`embedded PostgreSQL stop failed: ${e.message}`))
      .then(() => {
        console.log('shut down');
        process.exit(0);
      });
  };
  // embedded-postgres's exit hook (async-exit-hook) exits on these signals at once, before any
  // drain; this process stops the embedded server itself, last
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  // One clear line for configuration and connectivity problems; the stack for anything else.
  if (err instanceof ConfigError) console.error(`Invalid configuration: ${err.message}`);
  else if (err instanceof EmbeddedPostgresAccessError) console.error(err.message);
  else if (err instanceof Error && err.message.startsWith('Cannot reach PostgreSQL'))
    console.error(err.message);
  else console.error(err);
  process.exit(1);
});
