import { isAppError } from '../../platform/errors/app-error';
import type { Principal } from '../../platform/access/principal';
import { invitationAccess } from './invitation-access';

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

describe('invitationAccess', () => {
  const invitation = { id: 'pli_1', playlistId: 'pl_1', inviteeId: 'invitee', inviterId: 'owner' };

  it('lets the invitee see and answer the invitation', () => {
    expect(invitationAccess.assert(caller('invitee'), 'respond', invitation)).toBe(invitation);
    expect(invitationAccess.can(caller('invitee'), 'see', invitation)).toBe(true);
  });

  it('answers invitation_not_found to everyone else: the inviter, an admin, a stranger, nobody, no invitation', () => {
    for (const who of [caller('owner'), caller('admin', 'admin'), caller('stranger'), undefined])
      expect(code(() => invitationAccess.assert(who, 'respond', invitation))).toBe('invitation_not_found');
    expect(code(() => invitationAccess.assert(caller('invitee'), 'respond', null))).toBe(
      'invitation_not_found',
    );
  });

  it('decides what a list of invitations shows', () => {
    const other = { ...invitation, id: 'pli_2', inviteeId: 'stranger' };
    expect(invitationAccess.filter(caller('invitee'), 'see', [invitation, other])).toEqual([invitation]);
  });
});
