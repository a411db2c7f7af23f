import { ConfigError } from './config-error';

type Env = Record<string, string | undefined>;

/**
 * Several instances act as one only on shared settings. How many run is declared
 * (`INSTANCE_COUNT`, default 1), because an instance cannot know the others before they exist:
 * with more than one, the settings each instance would otherwise keep to itself are refused at
 * boot, one line each. (An undeclared second instance is noticed at boot and logged: see
 * FleetCheck.)
 */
export function readInstanceCount(env: Env): number {
  const raw = env.INSTANCE_COUNT?.trim();
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 1000) {
    throw new ConfigError(`INSTANCE_COUNT must be an integer between 1 and 1000 (got "${raw}")`);
  }
  return n;
}

export function assertFleetSettings(env: Env, instanceCount: number): void {
  if (instanceCount <= 1) return;
  const needs = `INSTANCE_COUNT=${instanceCount} needs`;
  if (!env.JWT_SECRET) {
    throw new ConfigError(
      `${needs} JWT_SECRET: every instance must sign and verify tokens with one secret (a generated one is per machine)`,
    );
  }
  if (!env.REDIS_URL) {
    throw new ConfigError(
      `${needs} REDIS_URL: rate limits counted in each process would grant every budget ${instanceCount} times`,
    );
  }
  if (!env.STORAGE_URL) {
    throw new ConfigError(
      `${needs} STORAGE_URL: audio in a local directory is not visible to the other instances`,
    );
  }
}
