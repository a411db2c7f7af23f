import Redis from 'ioredis';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Redis to test against: TEST_REDIS_URL (CI sets it), else the conventional local one. A
 * test that needs Redis fails when it does not answer: it never skips itself, so a run without
 * Redis cannot pass for a run that checked the shared budget.
 */
export async function testRedisUrl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const url = env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('no PONG');
    return url;
  } catch (err) {
    throw new Error(
      `Redis at ${url} does not answer (${(err as Error).message}): start it (redis-server) or set TEST_REDIS_URL`,
    );
  } finally {
    client.disconnect();
  }
}
