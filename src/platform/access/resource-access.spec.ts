import { isAppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { defineErrors } from '../errors/app-error';
import type { Principal } from './principal';
import { defineResourceAccess } from './resource-access';

const Errors = defineErrors('test', {
  notFound: { code: 'thing_not_found', status: 404, message: 'Not found.', description: 'x' },
});

interface Thing {
  ownerId: string;
  editors: string[];
  public: boolean;
}

const access = defineResourceAccess<Thing, 'read' | 'edit' | 'delete'>({
  relations: (t, p) => [
    ...(t.ownerId === p?.userId ? (['owner'] as const) : []),
    ...(p && t.editors.includes(p.userId) ? (['editor'] as const) : []),
  ],
  isPublic: (t) => t.public,
  actions: { read: 'public', edit: ['owner', 'editor'], delete: ['owner', 'admin'] },
  see: 'read',
  notFound: Errors.notFound,
});

const user = (userId: string, role: 'user' | 'admin' = 'user'): Principal => ({
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

describe('defineResourceAccess', () => {
  const priv: Thing = { ownerId: 'u1', editors: ['u2'], public: false };
  const pub: Thing = { ...priv, public: true };

  it('hides a private resource from strangers and anonymous callers as not found', () => {
    expect(code(() => access.assert(user('u3'), 'read', priv))).toBe('thing_not_found');
    expect(code(() => access.assert(undefined, 'read', priv))).toBe('thing_not_found');
    expect(code(() => access.assert(user('u3'), 'edit', priv))).toBe('thing_not_found');
  });

  it('answers not found for a missing resource', () => {
    expect(code(() => access.assert(user('u1'), 'read', null))).toBe('thing_not_found');
  });

  it('lets related callers see, and refuses actions beyond their roles as forbidden', () => {
    expect(code(() => access.assert(user('u2'), 'read', priv))).toBe('ok');
    expect(code(() => access.assert(user('u2'), 'edit', priv))).toBe('ok');
    expect(code(() => access.assert(user('u2'), 'delete', priv))).toBe(GeneralErrors.forbidden.code);
    expect(code(() => access.assert(user('u3'), 'edit', pub))).toBe(GeneralErrors.forbidden.code);
  });

  it('gives admins only the actions that list admin', () => {
    const admin = user('a', 'admin');
    expect(access.can(admin, 'delete', priv)).toBe(true);
    expect(access.can(admin, 'edit', priv)).toBe(false);
    expect(access.roles(priv, admin).has('admin')).toBe(true);
  });

  it('lets the caller name the refusal where the contract has its own code', () => {
    expect(code(() => access.assert(user('u2'), 'delete', priv, Errors.notFound))).toBe('thing_not_found');
    expect(code(() => access.assert(user('u3'), 'read', priv, GeneralErrors.forbidden))).toBe(
      'thing_not_found',
    );
  });

  it('filters lists with the same rules', () => {
    expect(access.filter(user('u3'), 'read', [priv, pub])).toEqual([pub]);
    expect(access.filter(user('u1'), 'read', [priv, pub])).toEqual([priv, pub]);
  });
});
