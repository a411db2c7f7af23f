import { createHmac } from 'node:crypto';
import { signMediaLink, verifyMediaLink, type MediaLinkClaims } from './media-link';

const SECRET = 'unit-secret-unit-secret-unit-secret-0123';
const NOW = 1_750_000_000;
const claims: MediaLinkClaims = {
  track: 'trk_01jz8x4v6t0000000000000000',
  rendition: 'a'.repeat(16) + 'b'.repeat(16) + '0123456789abcdef'.repeat(2),
  caller: 'usr_01jz8x4v6t1111111111111111',
  exp: NOW + 300,
};

/** Each position of `s` replaced by another character of the base64url alphabet. */
function* everyAlteration(s: string): Generator<string> {
  for (let i = 0; i < s.length; i++) {
    const other = s[i] === 'A' ? 'B' : 'A';
    yield s.slice(0, i) + other + s.slice(i + 1);
  }
}

describe('media links', () => {
  it('round-trips the claims, anonymous callers included', () => {
    const token = signMediaLink(SECRET, claims);
    expect(verifyMediaLink(SECRET, token, NOW)).toEqual({ ok: true, claims });
    const anonymous = { ...claims, caller: null };
    expect(verifyMediaLink(SECRET, signMediaLink(SECRET, anonymous), NOW)).toEqual({
      ok: true,
      claims: anonymous,
    });
  });

  it('is compact and URL-safe', () => {
    const token = signMediaLink(SECRET, claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(token.length).toBeLessThan(300);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('accepts a Buffer secret the same as its string', () => {
    const token = signMediaLink(Buffer.from(SECRET), claims);
    expect(token).toBe(signMediaLink(SECRET, claims));
    expect(verifyMediaLink(Buffer.from(SECRET), token, NOW).ok).toBe(true);
  });

  it('expires at exp (by the clock it is given), not a second later', () => {
    const token = signMediaLink(SECRET, claims);
    expect(verifyMediaLink(SECRET, token, claims.exp - 1).ok).toBe(true);
    expect(verifyMediaLink(SECRET, token, claims.exp)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyMediaLink(SECRET, token, claims.exp + 3600)).toEqual({ ok: false, reason: 'expired' });
  });

  it('fails on any altered character of the payload or of the signature', () => {
    const token = signMediaLink(SECRET, claims);
    const [payload, signature] = token.split('.');
    let tried = 0;
    for (const p of everyAlteration(payload)) {
      expect(verifyMediaLink(SECRET, `${p}.${signature}`, NOW)).toEqual({ ok: false, reason: 'signature' });
      tried++;
    }
    for (const s of everyAlteration(signature)) {
      expect(verifyMediaLink(SECRET, `${payload}.${s}`, NOW)).toEqual({ ok: false, reason: 'signature' });
      tried++;
    }
    expect(tried).toBe(token.length - 1);
  });

  it('fails when the claims are swapped for others: caller, rendition, expiry', () => {
    const token = signMediaLink(SECRET, claims);
    const signature = token.split('.')[1];
    for (const other of [
      { ...claims, caller: 'usr_someone_else' },
      { ...claims, caller: null },
      { ...claims, rendition: 'f'.repeat(64) },
      { ...claims, exp: claims.exp + 86_400 },
    ]) {
      const payload = signMediaLink(SECRET, other).split('.')[0];
      expect(verifyMediaLink(SECRET, `${payload}.${signature}`, NOW)).toEqual({
        ok: false,
        reason: 'signature',
      });
    }
  });

  it('fails under another secret', () => {
    const token = signMediaLink(SECRET, claims);
    expect(verifyMediaLink(`${SECRET}x`, token, NOW)).toEqual({ ok: false, reason: 'signature' });
  });

  it('keeps secrets apart when they alternate (the derived key is remembered per secret)', () => {
    const other = `${SECRET}-rotated`;
    const a = signMediaLink(SECRET, claims);
    const b = signMediaLink(other, claims);
    expect(a).not.toBe(b);
    expect(verifyMediaLink(SECRET, a, NOW).ok).toBe(true);
    expect(verifyMediaLink(other, a, NOW).ok).toBe(false);
    expect(verifyMediaLink(SECRET, b, NOW).ok).toBe(false);
    expect(verifyMediaLink(other, b, NOW).ok).toBe(true);
    expect(verifyMediaLink(Buffer.from(other), b, NOW).ok).toBe(true);
    expect(verifyMediaLink(SECRET, a, NOW).ok).toBe(true);
  });

  it('uses a key of its own: an HMAC with the bare app secret does not verify', () => {
    const payload = signMediaLink(SECRET, claims).split('.')[0];
    const bare = createHmac('sha256', SECRET).update(payload).digest('base64url');
    expect(verifyMediaLink(SECRET, `${payload}.${bare}`, NOW)).toEqual({ ok: false, reason: 'signature' });
  });

  it('calls a token malformed when it is not two base64url parts with a full signature', () => {
    const token = signMediaLink(SECRET, claims);
    const [payload, signature] = token.split('.');
    for (const bad of [
      '',
      '.',
      payload,
      `${payload}.`,
      `.${signature}`,
      `${payload}.${signature}.x`,
      `${payload}.${signature.slice(1)}`,
      `${payload}.${signature}A`,
      `${payload}=.${signature}`,
      `${payload}.${signature.slice(0, -1)}=`,
      `${payload}+.${signature}`,
      `${payload}.${'A'.repeat(43)}`.replace('.', '%2E'),
      `${'A'.repeat(2000)}.${signature}`,
    ]) {
      expect([bad, verifyMediaLink(SECRET, bad, NOW)]).toEqual([bad, { ok: false, reason: 'malformed' }]);
    }
  });

  it('calls a correctly signed payload malformed when its claims are not ours', () => {
    // what a signer elsewhere could have minted: signed with the same derived key
    const key = createHmac('sha256', SECRET).update('media-link').digest();
    const forge = (body: unknown) => {
      const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
      return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
    };
    const good = { t: claims.track, r: claims.rendition, c: claims.caller, e: claims.exp };
    expect(verifyMediaLink(SECRET, forge(good), NOW)).toEqual({ ok: true, claims });
    for (const body of [
      null,
      [],
      'x',
      { ...good, r: 'not-a-sha' },
      { ...good, r: 'A'.repeat(64) },
      { ...good, t: '' },
      { ...good, t: 7 },
      { ...good, c: 7 },
      { ...good, e: '1750000300' },
      { ...good, e: 1.5 },
      { ...good, e: -1 },
      { t: good.t, r: good.r, c: good.c },
    ]) {
      expect([body, verifyMediaLink(SECRET, forge(body), NOW)]).toEqual([
        body,
        { ok: false, reason: 'malformed' },
      ]);
    }
    const notJson = Buffer.from('{"t":').toString('base64url');
    const signed = `${notJson}.${createHmac('sha256', key).update(notJson).digest('base64url')}`;
    expect(verifyMediaLink(SECRET, signed, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to sign claims that would not verify', () => {
    expect(() => signMediaLink(SECRET, { ...claims, rendition: 'xyz' })).toThrow(/not valid/);
    expect(() => signMediaLink(SECRET, { ...claims, track: '' })).toThrow(/not valid/);
    expect(() => signMediaLink(SECRET, { ...claims, exp: 1.5 })).toThrow(/not valid/);
    expect(() => signMediaLink(SECRET, { ...claims, caller: '' })).toThrow(/not valid/);
  });
});
