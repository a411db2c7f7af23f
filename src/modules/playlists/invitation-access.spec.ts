import type { Principal } from '../../platform/access/principal';
import { invitationAccess } from './invitation-access';

const invitee: Principal = {
  userId: 'invitee',
  role: 'user',
  status: 'active',
  via: 'session',
  scopes: null,
};
const notFound = expect.objectContaining({ code: 'invitation_not_found' });

describe('invitationAccess', () => {
  const invitation = { id: 'pli_1', playlistId: 'pl_1', inviteeId: 'invitee', inviterId: 'owner' };

  it('lets the invitee see and answer the invitation', () => {
    expect(invitationAccess.assert(invitee, 'respond', invitation)).toBe(invitation);
    expect(invitationAccess.can(invitee, 'see', invitation)).toBe(true);
  });

  it('answers invitation_not_found to everyone else: the inviter, an admin, a stranger, nobody, no invitation', () => {
    const others = [
      { ...invitee, userId: 'owner' },
      { ...invitee, userId: 'admin', role: 'admin' as const },
      { ...invitee, userId: 'stranger' },
      undefined,
    ];
    for (const who of others)
      expect(() => invitationAccess.assert(who, 'respond', invitation)).toThrow(notFound);
    expect(() => invitationAccess.assert(invitee, 'respond', null)).toThrow(notFound);
  });

  it('decides what a list of invitations shows', () => {
    const other = { ...invitation, id: 'pli_2', inviteeId: 'stranger' };
    expect(invitationAccess.filter(invitee, 'see', [invitation, other])).toEqual([invitation]);
  });
});
