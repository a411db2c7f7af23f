import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './platform/database/embedded-postgres';
import { assertReachable, migrateDatabase } from './platform/database/migrations';

/**
 * `npm start`: validate the configuration, start the embedded PostgreSQL when no DATABASE_URL
 * is given, apply migrations, serve. Ctrl-C (or SIGTERM) closes the server, then the database.
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await app.close().catch((e: Error) => console.error(`close failed: ${e.message}`));
    await embedded
      ?.stop()
      .catch((e: Error) => console.error(`embedded PostgreSQL stop failed: ${e.message}`));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  // One clear line for configuration and connectivity problems; the stack for anything else.
  if (err instanceof ConfigError) console.error(`Invalid configuration: ${err.message}`);
  else if (err instanceof Error && err.message.startsWith('Cannot reach PostgreSQL'))
    console.error(err.message);
  else console.error(err);
  process.exit(1);
});
