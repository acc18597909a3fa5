import { ListPackagesDocument } from './generated/graphql';
import { bearer, postTyped } from './support/graphql-client';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * README, "Configuration": with ROUTER_SECRET set only the router (which adds the header) reaches /graphql;
 * the REST shim and the health endpoints are not affected. (Unset, there is no check: every other
 * GraphQL test calls /graphql without the header.)
 */
describe('ROUTER_SECRET', () => {
  const SECRET = 'only-the-router-knows';
  let t: TestApp;
  let token: string;
  const list = (headers: Record<string, string>) => postTyped(`${t.url}/graphql`, ListPackagesDocument, { first: 1 }, headers);

  beforeAll(async () => {
    t = await startTestApp({ routerSecret: SECRET });
    token = await t.token({ tenant: 'router-secret-tenant', user: 'alice' });
  }, 60_000);
  afterAll(() => t?.close());

  it('answers 401 on /graphql without the header, and with a wrong one', async () => {
    for (const secret of [undefined, 'guess', '', SECRET.toUpperCase()]) {
      const result = await list({ ...bearer(token), ...(secret === undefined ? {} : { 'router-secret': secret }) });
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data ?? null).toBeNull();
    }
  });

  it('serves /graphql with the header, and still checks the token', async () => {
    const ok = await list({ ...bearer(token), 'router-secret': SECRET });
    expect(ok.status).toBe(200);
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.catalogPackages).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });

    const noToken = await list({ 'router-secret': SECRET });
    expect(noToken.status).toBe(401);
    expect(noToken.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('leaves the health endpoints and the REST shim alone', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const rest = await fetch(`${t.url}/api/v1/catalog`, { headers: bearer(token) });
    expect(rest.status).toBe(200);
  });
});
