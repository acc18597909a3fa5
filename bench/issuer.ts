import { startTestIssuer, type TestIssuer } from '../test/support/oidc-issuer';

/**
 * The bench's OIDC issuer: the tests' issuer (the app's JwtIssuer on 127.0.0.1, RS256 like Entra
 * ID). The service and the baseline both discover it and verify every token against its JWKS.
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
  // Tokens live long enough for the longest run (--scale loads a million rows first).
  const issuer: TestIssuer = await startTestIssuer({ audience: BENCH_AUDIENCE, keyPrefix: 'bench-key', expiresIn: '6h' });
  return {
    issuer: issuer.issuer,
    audience: issuer.audience,
    sign: (who) =>
      issuer.tokenFor({ tenant: who.tenant, user: who.user, email: `${who.user}@${who.tenant}.example`, groups: who.groups, roles: who.roles, scopes: SCOPES }),
    close: () => issuer.close(),
  };
}
