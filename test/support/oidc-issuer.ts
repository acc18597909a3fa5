import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { JWTPayload } from 'jose';
import { generateSigningKey, JwtIssuer } from '../../src/infra/auth/jwt-issuer';

/**
 * A real OIDC issuer on 127.0.0.1 for tests and the bench: the app's own JwtIssuer (discovery +
 * JWKS, signed JWTs) on a port of its own, with RS256 keys like Entra ID.
 */
export interface TestIssuer {
  issuer: string;
  audience: string;
  /** Signs with the served key unless told otherwise; `exp` defaults to 5 minutes from now. */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  tokenFor(who: TokenSubject, options?: SignOptions): Promise<string>;
  /** A new key replaces the old one, both in the JWKS and for signing. */
  rotateKey(): Promise<void>;
  /** Publishes one more key beside the others (signing stays with the current one); returns its kid. */
  addKey(kid?: string): Promise<string>;
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
  /**
   * `foreign`: a key that is not in the JWKS, under the served kid (only the signature gives it
   * away); `unpublished`: that key under its own kid, which the JWKS has never held.
   */
  key?: 'current' | 'foreign' | 'unpublished';
  /** Sign with this published key (see `addKey`). */
  kid?: string;
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

export interface TestIssuerOptions {
  audience?: string;
  /** Prefix of the kids of the keys this issuer creates. */
  keyPrefix?: string;
  /** Lifetime of tokens that do not say otherwise. */
  expiresIn?: string | number;
}

export const TEST_AUDIENCE = 'catalog-test';

export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const audience = options.audience ?? TEST_AUDIENCE;
  const keyPrefix = options.keyPrefix ?? 'test-key';
  let generation = 1;
  // Signed tokens always carry the served kid, so a foreign-key token fails on the signature itself.
  const foreign = await generateSigningKey('RS256', 'never-served');
  let available = true;

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwt = new JwtIssuer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, await generateSigningKey('RS256', `${keyPrefix}-${generation}`));
  const app = express();
  app.use((_req, res, next) => (available ? next() : res.status(503).json({ error: 'unavailable' })));
  app.use(jwt.router());
  const outsider = new JwtIssuer(jwt.issuerUrl, foreign);
  server.on('request', app);

  const sign = (claims: JWTPayload, signOptions: SignOptions = {}) =>
    (signOptions.key === 'unpublished' ? outsider : jwt).sign(claims, {
      audience: signOptions.audience ?? audience,
      expiresIn: signOptions.expiresIn ?? options.expiresIn ?? '5m',
      notBefore: signOptions.notBefore,
      issuer: signOptions.issuer,
      kid: signOptions.key === 'unpublished' ? undefined : signOptions.kid,
      forgeWith: signOptions.key === 'foreign' ? foreign : undefined,
    });

  return {
    issuer: jwt.issuerUrl,
    audience,
    sign,
    tokenFor: (who, signOptions) =>
      sign({ sub: who.user, tid: who.tenant, email: who.email, groups: who.groups, roles: who.roles, scp: who.scopes }, signOptions),
    rotateKey: async () => {
      const previous = jwt.kid;
      generation += 1;
      jwt.addKey(await generateSigningKey('RS256', `${keyPrefix}-${generation}`), { current: true });
      jwt.removeKey(previous);
    },
    addKey: async (kid) => {
      generation += 1;
      const key = await generateSigningKey('RS256', kid ?? `${keyPrefix}-${generation}`);
      jwt.addKey(key);
      return key.kid;
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
