import { isAppError } from '../../platform/errors/app-error';
import type { Principal } from '../../platform/access/principal';
import { radioSessionAccess } from './radio-session-access';

const caller = (userId: string, role: 'user' | 'admin' = 'user'): Principal => ({
  userId,
  role,
  status: 'active',
  via: 'session',
  scopes: null,
});
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isAppError(e) ? e.code : 'thrown';
  }
};

describe('radioSessionAccess', () => {
  const session = { id: 'rds_1', userId: 'listener' };

  it('lets the listener use the session', () => {
    expect(radioSessionAccess.assert(caller('listener'), 'listen', session)).toBe(session);
  });

  it('answers radio_session_not_found to anyone else, admins included, and for no session', () => {
    for (const who of [caller('other'), caller('admin', 'admin'), undefined])
      expect(code(() => radioSessionAccess.assert(who, 'listen', session))).toBe('radio_session_not_found');
    expect(code(() => radioSessionAccess.assert(caller('listener'), 'listen', null))).toBe(
      'radio_session_not_found',
    );
  });
});
