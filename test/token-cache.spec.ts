import { setTimeout as sleep } from 'node:timers/promises';
import { OidcTokenVerifier } from '../src/infra/auth/oidc-verifier';
import { VerifiedTokenCache } from '../src/infra/auth/token-cache';
import { startTestIssuer, type TestIssuer } from './support/oidc-issuer';

describe('VerifiedTokenCache', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(() => issuer.close());

  it('keeps a verified token until its exp, and no longer', async () => {
    let now = Date.now();
    const cache = new VerifiedTokenCache<string>(10, () => now);
    const token = await issuer.sign({ sub: 'alice', tid: 'acme' }, { expiresIn: 60 });
    expect(cache.get(token)).toBeUndefined();
    expect(cache.remember(token, 'k1', 'alice')).toBe('alice');
    expect(cache.get(token)).toBe('alice');
    now += 61_000;
    expect(cache.get(token)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used token past its bound', async () => {
    const cache = new VerifiedTokenCache<number>(2);
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => issuer.sign({ sub: `user-${n}`, tid: 'acme' })));
    cache.remember(a!, 'k1', 1);
    cache.remember(b!, 'k1', 2);
    cache.get(a!); // a is now the most recently used
    cache.remember(c!, 'k2', 3);
    expect([cache.get(a!), cache.get(b!), cache.get(c!)]).toEqual([1, undefined, 3]);
  });

  it('forgets the tokens of removed keys only, and keeps none without a kid', async () => {
    const cache = new VerifiedTokenCache<number>(10);
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => issuer.sign({ sub: `user-${n}`, tid: 'acme' })));
    cache.remember(a!, 'k1', 1);
    cache.remember(b!, 'k2', 2);
    cache.remember(c!, undefined, 3);
    cache.forgetKeys(new Set(['k1']));
    expect([cache.get(a!), cache.get(b!), cache.get(c!)]).toEqual([undefined, 2, undefined]);
  });

  it('a token of a key removed from the JWKS is refused once the cooldown (3 s) has passed, cached or not', async () => {
    const verifier = new OidcTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    const cached = await issuer.sign({ sub: 'carol', tid: 'acme' });
    const neverSeen = await issuer.sign({ sub: 'dave', tid: 'acme' });
    const kept = await issuer.sign({ sub: 'erin', tid: 'acme' }, { kid: await issuer.addKey() });
    await expect(verifier.verify(`Bearer ${cached}`)).resolves.toMatchObject({ userId: 'carol' });
    await expect(verifier.verify(`Bearer ${kept}`)).resolves.toMatchObject({ userId: 'erin' });
    await issuer.rotateKey(); // removes the key that signed `cached` and `neverSeen`
    const removedAt = Date.now();
    await sleep(3_000 - (Date.now() - removedAt));
    await expect(verifier.verify(`Bearer ${cached}`)).rejects.toMatchObject({ message: 'The token signature is not valid' });
    await expect(verifier.verify(`Bearer ${neverSeen}`)).rejects.toMatchObject({ message: 'The token signature is not valid' });
    await expect(verifier.verify(`Bearer ${kept}`)).resolves.toMatchObject({ userId: 'erin' });
  });

  it('hits only the very bytes that were verified: a changed signature is checked again and refused', async () => {
    const verifier = new OidcTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    const token = await issuer.sign({ sub: 'alice', tid: 'acme' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'alice' });
    const [header, payload, signature] = token.split('.');
    const tampered = `${header}.${payload}.${signature!.slice(0, -4)}${signature!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expect(verifier.verify(`Bearer ${tampered}`)).rejects.toMatchObject({ message: 'The token signature is not valid' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'alice' });
  });

  it('a token verified once is answered from the cache while the issuer is away', async () => {
    const verifier = new OidcTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    const token = await issuer.sign({ sub: 'bob', tid: 'acme' });
    await verifier.verify(`Bearer ${token}`);
    issuer.setAvailable(false);
    try {
      await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'bob' });
      // Past the cooldown the set cannot be refreshed; nothing says the key was removed, so it still verifies.
      await sleep(3_100);
      await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'bob' });
    } finally {
      issuer.setAvailable(true);
    }
  });
});
