import { isAppError } from '../../platform/errors/app-error';
import type { Principal } from '../../platform/access/principal';
import { creditAccess } from './credit-access';

const who = (userId: string, role: 'user' | 'admin' = 'user'): Principal =>
  ({ userId, role, status: 'active', via: 'session' }) as Principal;

describe('creditAccess', () => {
  const credit = { userId: 'usr_credited' };

  it('lets the credited person answer', () => {
    expect(creditAccess.assert(who('usr_credited'), 'answer', credit)).toBe(credit);
  });

  it('answers credit_not_found to anyone else, admins and unknown credits included', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return isAppError(e) ? e.code : 'not an AppError';
      }
    };
    expect(code(() => creditAccess.assert(who('usr_owner'), 'answer', credit))).toBe('credit_not_found');
    expect(code(() => creditAccess.assert(who('usr_admin', 'admin'), 'answer', credit))).toBe(
      'credit_not_found',
    );
    expect(code(() => creditAccess.assert(who('usr_credited'), 'answer', null))).toBe('credit_not_found');
  });
});
