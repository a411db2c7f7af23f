import { testRedisUrl } from './redis';

describe('testRedisUrl', () => {
  it('fails, never skips, when the Redis it is given does not answer', async () => {
    await expect(testRedisUrl({ TEST_REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(
      /Redis at redis:\/\/127\.0\.0\.1:1 does not answer/,
    );
  });

  it('answers the URL of a Redis that does', async () => {
    const url = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
    await expect(testRedisUrl({ TEST_REDIS_URL: url })).resolves.toBe(url);
  });
});
