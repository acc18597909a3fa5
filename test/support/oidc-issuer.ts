import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A real OIDC issuer on 127.0.0.1 for tests: discovery + JWKS over HTTP, RS256 keys like Entra ID. */
export interface TestIssuer {
  issuer: string;
  audience: string;
  /** Signs with the served key unless told otherwise; `exp` defaults to 5 minutes from now. */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  tokenFor(who: TokenSubject, options?: SignOptions): Promise<string>;
  /** A new key replaces the old one, both in the JWKS and for signing. */
  rotateKey(): Promise<void>;
  /** While false, discovery and JWKS answer 503 (an issuer outage). */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

export interface SignOptions {
  /** jose duration (`5m`, `-1h`) or a number of seconds from now. */
  expiresIn?: string | number;
  notBefore?: string | number;
  issuer?: string;
  audience?: string;
  /** `foreign`: a key that is not in the JWKS (kid included, so only the signature gives it away). */
  key?: 'current' | 'foreign';
}

export interface TokenSubject {
  tenant: string;
  user: string;
  email?: string;
  groups?: string[];
  roles?: string[];
  /** Space-separated, sent as `scp`. */
  scopes?: string;
}

export const TEST_AUDIENCE = 'catalog-test';

interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function startTestIssuer(): Promise<TestIssuer> {
  let generation = 1;
  let current = await newKey(`test-key-${generation}`);
  // Signed tokens always carry the served kid, so a foreign-key token fails on the signature itself.
  const foreign = await newKey('never-served');
  let available = true;

  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!available) return send(503, { error: 'unavailable' });
    if (req.method === 'GET' && req.url === '/.well-known/openid-configuration') {
      return send(200, { issuer, jwks_uri: `${issuer}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (req.method === 'GET' && req.url === '/jwks.json') return send(200, { keys: [current.publicJwk] });
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const relative = (value: string | number) => (typeof value === 'number' ? Math.floor(Date.now() / 1000) + value : value);

  async function sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const key = options.key === 'foreign' ? foreign.privateKey : current.privateKey;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: current.publicJwk.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? TEST_AUDIENCE)
      .setIssuedAt();
    if (claims.exp === undefined) jwt.setExpirationTime(relative(options.expiresIn ?? '5m'));
    if (options.notBefore !== undefined) jwt.setNotBefore(relative(options.notBefore));
    return jwt.sign(key);
  }

  return {
    issuer,
    audience: TEST_AUDIENCE,
    sign,
    tokenFor: (who, options) =>
      sign(
        { sub: who.user, tid: who.tenant, email: who.email, groups: who.groups, roles: who.roles, scp: who.scopes },
        options,
      ),
    rotateKey: async () => {
      generation += 1;
      current = await newKey(`test-key-${generation}`);
    },
    setAvailable: (value) => {
      available = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
