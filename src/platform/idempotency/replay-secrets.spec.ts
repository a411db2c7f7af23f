import { REDACTED, redactSecrets, SECRET_KEY, unredactedSecrets } from './replay-secrets';

describe('replay secrets', () => {
  it('names credentials, client secrets and passwords as secrets, not counts or kinds of tokens', () => {
    for (const key of [
      'token',
      'access_token',
      'refresh_token',
      'client_secret',
      'webhook_secret',
      'secret_key',
      'clientSecret',
      'accessToken',
      'password',
      'api_key',
      'private_key',
      'signature',
    ]) {
      expect([key, SECRET_KEY.test(key)]).toEqual([key, true]);
    }
    for (const key of [
      'token_type',
      'token_cost',
      'request_tokens_per_month',
      'tokens_remaining',
      'key',
      'keys',
      'prefix',
      'id',
      'expires_in',
    ]) {
      expect([key, SECRET_KEY.test(key)]).toEqual([key, false]);
    }
  });

  it('redacts declared fields and anything named like a secret, at any depth, on a copy', () => {
    const body = {
      id: 'pat_1',
      token: 'pat_abc',
      nested: { client_secret: 'pi_1_secret_2', amount: 5, list: [{ refresh_token: 'r' }] },
      code: 'x-1',
      none: null,
    };
    const { body: stored, undeclared } = redactSecrets(body, ['token', 'code']);
    expect(stored).toEqual({
      id: 'pat_1',
      token: REDACTED,
      nested: { client_secret: REDACTED, amount: 5, list: [{ refresh_token: REDACTED }] },
      code: REDACTED,
      none: null,
    });
    // the undeclared ones are reported (the route must declare them)
    expect(undeclared).toEqual(['nested.client_secret', 'nested.list[0].refresh_token']);
    // the response itself is untouched
    expect(body.token).toBe('pat_abc');
    expect(unredactedSecrets(stored)).toEqual([]);
  });

  it('leaves null secrets and bodies without objects alone', () => {
    expect(redactSecrets({ client_secret: null })).toEqual({ body: { client_secret: null }, undeclared: [] });
    expect(redactSecrets(null)).toEqual({ body: null, undeclared: [] });
    expect(redactSecrets('text')).toEqual({ body: 'text', undeclared: [] });
  });

  it('finds secret-like members that hold a value', () => {
    expect(
      unredactedSecrets({ a: { token: 'pat_x' }, b: [{ client_secret: 's' }], token_type: 'Bearer' }),
    ).toEqual(['a.token', 'b[0].client_secret']);
  });
});
