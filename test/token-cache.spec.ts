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
    expect(cache.remember(token, 'alice')).toBe('alice');
    expect(cache.get(token)).toBe('alice');
    now += 61_000;
    expect(cache.get(token)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used token past its bound', async () => {
    const cache = new VerifiedTokenCache<number>(2);
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => issuer.sign({ sub: `user-${n}`, tid: 'acme' })));
    cache.remember(a!, 1);
    cache.remember(b!, 2);
    cache.get(a!); // a is now the most recently used
    cache.remember(c!, 3);
    expect([cache.get(a!), cache.get(b!), cache.get(c!)]).toEqual([1, undefined, 3]);
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
    } finally {
      issuer.setAvailable(true);
    }
  });
});
