import { isAppError } from '../../platform/errors/app-error';
import type { Principal } from '../../platform/access/principal';
import { playlistAccess, roleOf } from './playlist-access';
import type { PlaylistRow } from './playlists.repository';
import { samePermutation } from './playlists.service';

const user = (userId: string): Principal => ({
  userId,
  role: 'user',
  status: 'active',
  via: 'session',
  scopes: null,
});
const playlist = (over: Partial<PlaylistRow> = {}): PlaylistRow => ({
  id: 'pl_1',
  ownerId: 'owner',
  name: 'p',
  description: null,
  visibility: 'private',
  version: 1,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  editors: [],
  editorIds: ['ed'],
  inviteeIds: [],
  ...over,
});
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isAppError(e) ? e.code : 'thrown';
  }
};

describe('playlistAccess', () => {
  it('hides a private playlist from strangers and anonymous callers', () => {
    expect(code(() => playlistAccess.assert(user('x'), 'read', playlist()))).toBe('playlist_not_found');
    expect(code(() => playlistAccess.assert(undefined, 'read', playlist()))).toBe('playlist_not_found');
    expect(code(() => playlistAccess.assert(user('x'), 'editTracks', playlist()))).toBe('playlist_not_found');
  });

  it('lets editors change tracks but not details, invitations or the playlist itself', () => {
    const p = playlist();
    expect(code(() => playlistAccess.assert(user('ed'), 'editTracks', p))).toBe('ok');
    for (const action of ['editDetails', 'invite', 'delete', 'manageEditors'] as const)
      expect(code(() => playlistAccess.assert(user('ed'), action, p))).toBe('forbidden');
    expect(code(() => playlistAccess.assert(user('ed'), 'leave', p))).toBe('ok');
  });

  it('lets an invitee look, and anyone read a public playlist, but not edit it', () => {
    const invited = playlist({ inviteeIds: ['inv'] });
    expect(roleOf(invited, user('inv'))).toBe('viewer');
    expect(code(() => playlistAccess.assert(user('inv'), 'editTracks', invited))).toBe('forbidden');
    const pub = playlist({ visibility: 'public' });
    expect(code(() => playlistAccess.assert(undefined, 'read', pub))).toBe('ok');
    expect(code(() => playlistAccess.assert(user('x'), 'editTracks', pub))).toBe('forbidden');
    expect(playlistAccess.filter(user('x'), 'read', [playlist(), pub])).toEqual([pub]);
  });
});

describe('samePermutation', () => {
  it('accepts exactly the same tracks, each once, in any order', () => {
    expect(samePermutation(['a', 'b', 'c'], ['c', 'a', 'b'])).toBe(true);
    expect(samePermutation(['a', 'b', 'c'], ['a', 'b'])).toBe(false);
    expect(samePermutation(['a', 'b', 'c'], ['a', 'b', 'b'])).toBe(false);
    expect(samePermutation(['a', 'b', 'c'], ['a', 'b', 'd'])).toBe(false);
    expect(samePermutation([], [])).toBe(true);
  });
});
