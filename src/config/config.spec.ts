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

  describe('object storage', () => {
    const s3 = {
      STORAGE_URL: 's3://beat-audio/prod/tracks/',
      S3_REGION: 'eu-west-1',
    };

    it('keeps the local directory unless STORAGE_URL is set', () => {
      expect(loadConfig({}).s3).toBeUndefined();
    });

    it('reads the bucket, prefix and settings of an s3:// URL', () => {
      expect(
        loadConfig({
          ...s3,
          S3_ENDPOINT: 'http://127.0.0.1:9000',
          S3_FORCE_PATH_STYLE: '1',
          AWS_ACCESS_KEY_ID: 'id',
          AWS_SECRET_ACCESS_KEY: 'secret',
          S3_DOWNLOADS: 'proxy',
        }).s3,
      ).toEqual({
        bucket: 'beat-audio',
        prefix: 'prod/tracks/',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
        credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
        downloads: 'proxy',
        presignSeconds: 60,
      });
      // AWS itself: credentials may come from the SDK's chain (an instance role)
      expect(loadConfig({ STORAGE_URL: 's3://beat-audio', S3_REGION: 'us-east-1' }).s3).toMatchObject({
        prefix: '',
        credentials: undefined,
        downloads: 'redirect',
      });
    });

    it('fails closed with one line', () => {
      expect(() => loadConfig({ ...s3, STORAGE_URL: 'https://beat-audio' })).toThrow(
        /STORAGE_URL must be s3:\/\/bucket/,
      );
      expect(() => loadConfig({ ...s3, STORAGE_URL: 's3://a' })).toThrow(/STORAGE_URL must be/);
      expect(() => loadConfig({ ...s3, STORAGE_URL: 's3://Upper_Case' })).toThrow(/STORAGE_URL must be/);
      expect(() => loadConfig({ STORAGE_URL: 's3://beat-audio' })).toThrow(
        new ConfigError('S3_REGION must be set when STORAGE_URL is (e.g. us-east-1)'),
      );
      expect(() => loadConfig({ ...s3, S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
        /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set when S3_ENDPOINT is/,
      );
      expect(() => loadConfig({ ...s3, AWS_ACCESS_KEY_ID: 'id' })).toThrow(/set together/);
      expect(() => loadConfig({ ...s3, S3_DOWNLOADS: 'public' })).toThrow(
        /S3_DOWNLOADS must be redirect or proxy/,
      );
      expect(() => loadConfig({ ...s3, S3_ENDPOINT: 'ftp://x' })).toThrow(/S3_ENDPOINT must be/);
      // an S3 setting without STORAGE_URL would keep audio on one machine's disk
      expect(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' })).toThrow(
        /S3_ENDPOINT is set but STORAGE_URL is not/,
      );
    });
  });
});

describe('test hooks', () => {
  it('refuses TEST_HOOKS=1 with NODE_ENV=production, in one line', () => {
    expect(() => loadConfig({ TEST_HOOKS: '1', NODE_ENV: 'production' })).toThrow(
      new ConfigError(
        'TEST_HOOKS=1 is refused with NODE_ENV=production (the test hooks move the clock of every instance)',
      ),
    );
    expect(() => loadConfig({ TEST_HOOKS: 'true', NODE_ENV: ' Production ' })).toThrow(
      /TEST_HOOKS=1 is refused/,
    );
  });

  it('allows them elsewhere, and production without them', () => {
    expect(loadConfig({ TEST_HOOKS: '1', NODE_ENV: 'test' }).testHooks).toBe(true);
    expect(loadConfig({ TEST_HOOKS: '1' }).testHooks).toBe(true);
    expect(loadConfig({ TEST_HOOKS: '0', NODE_ENV: 'production' }).testHooks).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).testHooks).toBe(false);
  });
});

describe('TRUST_PROXY', () => {
  const trust = (value?: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;

  it('is off by default and with 0', () => {
    expect(trust()).toBe(false);
    expect(trust('')).toBe(false);
    expect(trust('0')).toBe(false);
    expect(trust('false')).toBe(false);
  });

  it('takes a hop count: 1 is one proxy, not every hop', () => {
    expect(trust('1')).toBe(1);
    expect(trust(' 2 ')).toBe(2);
  });

  it('takes a list of proxy addresses and CIDRs', () => {
    expect(trust('10.0.0.0/8, 127.0.0.1,::1,fd00::/8')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    expect(trust('loopback,uniquelocal')).toEqual(['loopback', 'uniquelocal']);
  });

  it('refuses "trust every hop" and anything that is not an address, in one line', () => {
    for (const everything of ['true', 'TRUE', 'yes', 'on', '*']) {
      expect(() => trust(everything)).toThrow(
        new ConfigError(
          `TRUST_PROXY must be a hop count (e.g. 1 behind one load balancer) or the proxies' addresses/CIDRs, not "${everything}" (trusting every hop lets any client choose its IP)`,
        ),
      );
    }
    expect(() => trust('10.0.0.0/33')).toThrow(
      new ConfigError(
        'TRUST_PROXY must be a hop count or a comma-separated list of IP addresses/CIDRs (got "10.0.0.0/33")',
      ),
    );
    expect(() => trust('10.0.0.1,proxy.internal')).toThrow(/\(got "proxy\.internal"\)/);
    expect(() => trust('10.0.0.300')).toThrow(/\(got "10\.0\.0\.300"\)/);
    expect(() => trust(',')).toThrow(/\(got ","\)/);
    expect(() => trust('99')).toThrow(/TRUST_PROXY must be an integer between 1 and 32/);
  });
});

describe('LIMIT_SESSION_MAX_DAYS', () => {
  it('defaults to 90 days and is validated', () => {
    expect(loadConfig({}).limits.sessionMaxDays).toBe(90);
    expect(loadConfig({ LIMIT_SESSION_MAX_DAYS: '7' }).limits.sessionMaxDays).toBe(7);
    expect(() => loadConfig({ LIMIT_SESSION_MAX_DAYS: '0' })).toThrow(
      /LIMIT_SESSION_MAX_DAYS must be an integer between 1 and 3650/,
    );
  });
});

describe('fleet settings (INSTANCE_COUNT > 1)', () => {
  const fleet = {
    INSTANCE_COUNT: '2',
    JWT_SECRET: 'x'.repeat(32),
    REDIS_URL: 'redis://redis:6379',
    STORAGE_URL: 's3://audio/beats',
    S3_REGION: 'us-east-1',
  };

  it('starts with every shared setting', () => {
    expect(loadConfig(fleet).instanceCount).toBe(2);
    expect(loadConfig({}).instanceCount).toBe(1);
  });

  it('refuses, one line each, what each instance would keep to itself', () => {
    expect(() => loadConfig({ ...fleet, JWT_SECRET: undefined })).toThrow(
      new ConfigError(
        'INSTANCE_COUNT=2 needs JWT_SECRET: every instance must sign and verify tokens with one secret (a generated one is per machine)',
      ),
    );
    expect(() => loadConfig({ ...fleet, REDIS_URL: '' })).toThrow(/^INSTANCE_COUNT=2 needs REDIS_URL: /);
    expect(() => loadConfig({ ...fleet, STORAGE_URL: undefined })).toThrow(
      /^INSTANCE_COUNT=2 needs STORAGE_URL: /,
    );
    expect(() => loadConfig({ INSTANCE_COUNT: '0' })).toThrow(/INSTANCE_COUNT must be an integer/);
    expect(() => loadConfig({ INSTANCE_COUNT: 'two' })).toThrow(/INSTANCE_COUNT must be an integer/);
  });
});
