import { seedRefusal } from './seed-guard';

describe('seedRefusal', () => {
  it('seeds the embedded database and a PostgreSQL on this machine', () => {
    expect(seedRefusal({}, undefined)).toBeNull();
    expect(seedRefusal({}, 'postgresql://postgres@127.0.0.1:5432/app')).toBeNull();
    expect(seedRefusal({}, 'postgresql://postgres@localhost/app')).toBeNull();
  });

  it('refuses production and remote databases unless SEED_ALLOW=1', () => {
    expect(seedRefusal({ NODE_ENV: 'production' }, undefined)).toMatch(/NODE_ENV=production/);
    expect(seedRefusal({}, 'postgresql://u:p@db.example.com:5432/app')).toMatch(/db\.example\.com/);
    expect(
      seedRefusal({ SEED_ALLOW: '1', NODE_ENV: 'production' }, 'postgresql://u@db.example.com/app'),
    ).toBeNull();
  });
});
