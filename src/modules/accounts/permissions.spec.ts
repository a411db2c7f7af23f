import { effectivePermissions } from './permissions';

describe('effectivePermissions', () => {
  it('gives verified users the defaults', () => {
    expect(effectivePermissions(true, [])).toEqual(['backstage_requests.create']);
  });

  it('gives unverified users nothing by default', () => {
    expect(effectivePermissions(false, [])).toEqual([]);
  });

  it('lets an admin revoke a default and grant to an unverified user', () => {
    expect(effectivePermissions(true, [{ permission: 'backstage_requests.create', granted: false }])).toEqual(
      [],
    );
    expect(effectivePermissions(false, [{ permission: 'backstage_requests.create', granted: true }])).toEqual(
      ['backstage_requests.create'],
    );
  });

  it('ignores unknown permissions', () => {
    expect(effectivePermissions(false, [{ permission: 'nope', granted: true }])).toEqual([]);
  });
});
