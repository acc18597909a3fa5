import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A real OIDC issuer for the bench (discovery + JWKS on 127.0.0.1, RS256 like Entra ID), the same
 * shape as test/support/oidc-issuer.ts. The service and the baseline both discover it and verify
 * every token against its JWKS.
 */
export interface BenchIssuer {
  issuer: string;
  audience: string;
  sign(who: BenchCaller): Promise<string>;
  close(): Promise<void>;
}

export interface BenchCaller {
  tenant: string;
  user: string;
  groups: string[];
  roles: string[];
}

export const BENCH_AUDIENCE = 'catalog-bench';
const SCOPES = 'scaicore:view scaicore:manage';

export async function startBenchIssuer(): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'bench-key-1', alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/.well-known/openid-configuration') {
      return send(200, { issuer, jwks_uri: `${issuer}/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (req.method === 'GET' && req.url === '/jwks.json') return send(200, { keys: [publicJwk] });
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    audience: BENCH_AUDIENCE,
    sign: (who) =>
      new SignJWT({ tid: who.tenant, email: `${who.user}@${who.tenant}.example`, groups: who.groups, roles: who.roles, scp: SCOPES })
        .setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid, typ: 'JWT' })
        .setSubject(who.user)
        .setIssuer(issuer)
        .setAudience(BENCH_AUDIENCE)
        .setIssuedAt()
        // Long enough for the longest run (--scale loads a million rows first).
        .setExpirationTime('6h')
        .sign(privateKey as CryptoKey),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
