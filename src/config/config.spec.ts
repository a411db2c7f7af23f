import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.jobsAutorun).toBe(true);
    expect(c.limits.ratePerMinute).toBe(300);
    expect(c.limits.loginFailures).toBe(5);
    expect(c.limits.uploadBytes).toBe(256 * 1024 * 1024);
    expect(c.limits.platformFeeBps).toBe(1500);
  });

  it('fails with one line naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(
      new ConfigError('PORT must be an integer between 0 and 65535 (got "abc")'),
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be a postgres: or postgresql:\/\/ URL/,
    );
    expect(() => loadConfig({ LIMIT_RATE_PER_MINUTE: '0' })).toThrow(/LIMIT_RATE_PER_MINUTE/);
    expect(() => loadConfig({ TEST_HOOKS: 'maybe' })).toThrow(/TEST_HOOKS must be 1 or 0/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.co' })).toThrow(/set together/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/at least 32/);
  });

  it('normalises the admin email and the app URL', () => {
    const c = loadConfig({
      ADMIN_EMAIL: ' Admin@Example.COM ',
      ADMIN_PASSWORD: 'long-enough',
      APP_URL: 'https://x.test/',
    });
    expect(c.adminEmail).toBe('admin@example.com');
    expect(c.appUrl).toBe('https://x.test');
  });
});
