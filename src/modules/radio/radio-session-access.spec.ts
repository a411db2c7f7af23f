import type { Principal } from '../../platform/access/principal';
import { radioSessionAccess } from './radio-session-access';

const listener: Principal = {
  userId: 'listener',
  role: 'user',
  status: 'active',
  via: 'session',
  scopes: null,
};

describe('radioSessionAccess', () => {
  const session = { id: 'rds_1', userId: 'listener' };

  it('lets the listener use the session', () => {
    expect(radioSessionAccess.assert(listener, 'listen', session)).toBe(session);
  });

  it('answers radio_session_not_found to anyone else, admins included, and for no session', () => {
    const notFound = expect.objectContaining({ code: 'radio_session_not_found' });
    for (const who of [
      { ...listener, userId: 'other' },
      { ...listener, role: 'admin' as const, userId: 'a' },
      undefined,
    ])
      expect(() => radioSessionAccess.assert(who, 'listen', session)).toThrow(notFound);
    expect(() => radioSessionAccess.assert(listener, 'listen', null)).toThrow(notFound);
  });
});
