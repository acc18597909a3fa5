import { loadConfig } from '../src/config';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

/** CORS, CSRF prevention, introspection and field suggestions, and what unknown paths get. */
describe('edge security', () => {
  describe('development defaults', () => {
    let t: TestApp;
    let token: string;

    beforeAll(async () => {
      t = await startTestApp({ edge: { corsOrigins: ['https://app.example.test'] } });
      token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    });
    afterAll(() => t.close());

    it('allows CORS only for the listed origins, and exposes the rate limit headers', async () => {
      const preflight = await fetch(`${t.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,idempotency-key',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/idempotency-key/);

      const allowed = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { origin: 'https://app.example.test', 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
      expect(allowed.headers.get('access-control-expose-headers')).toMatch(/x-ratelimit-remaining.*retry-after/);

      const other = await fetch(`${t.url}/api/v1/catalog`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('keeps Apollo CSRF prevention: a simple cross-site request is refused', async () => {
      const getWithoutPreflight = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(getWithoutPreflight.status).toBe(400);
      expect(await getWithoutPreflight.text()).toMatch(/Cross-Site Request Forgery/);
      const getWithPreflightHeader = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
      });
      expect(getWithPreflightHeader.status).toBe(200);
    });

    it('answers introspection and field suggestions outside production', async () => {
      const introspection = await t.gql(token, '{ __schema { queryType { name } } }');
      expect(introspection.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
      const typo = await t.gql(token, '{ catalogPackage(packageId: "x") { nmae } }');
      expect(typo.body.errors![0]!.message).toMatch(/Did you mean "name"\?/);
    });

    it('answers unknown paths with a plain 404, never an HTML stack trace', async () => {
      const response = await fetch(`${t.url}/nope`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'Not found' });
      const badPath = await fetch(`${t.url}/%E0%A4%A`);
      expect(badPath.status).toBeLessThan(500);
      expect(await badPath.text()).not.toMatch(/\bat .*:\d+:\d+/);
    });
  });

  describe('production', () => {
    let t: TestApp;
    let token: string;

    beforeAll(async () => {
      t = await startTestApp({ nodeEnv: 'production' });
      token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
    });
    afterAll(() => t.close());

    it('refuses introspection', async () => {
      const response = await t.gql(token, '{ __schema { queryType { name } } }');
      expect(response.status).toBe(400);
      expect(response.body.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.body.errors![0]!.message).toMatch(/introspection is not allowed/);
    });

    it('masks field suggestions', async () => {
      const response = await t.gql(token, '{ catalogPackage(packageId: "x") { nmae } }');
      expect(response.body.errors![0]!.message).not.toMatch(/Did you mean/);
      expect(response.body.errors![0]!.message).toMatch(/Cannot query field "nmae"/);
    });

    it('still serves the subgraph SDL to the router', async () => {
      const response = await t.gql(token, '{ _service { sdl } }');
      expect(response.body.data?._service.sdl).toMatch(/type CatalogPackage/);
    });

    it('sends no CORS headers by default', async () => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
      });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('lets GRAPHQL_INTROSPECTION and PLAYGROUND override the NODE_ENV defaults', () => {
    const prodOidc = {
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://login.example.test',
      OIDC_AUDIENCE: 'catalog',
      CATALOG_SIGNING_KEY_FILE: '/run/secrets/key',
    };
    expect(loadConfig(prodOidc).edge).toMatchObject({ introspection: false, playground: false, corsOrigins: [] });
    expect(loadConfig({ ...prodOidc, GRAPHQL_INTROSPECTION: 'true', PLAYGROUND: 'true' }).edge).toMatchObject({ introspection: true, playground: true });
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).edge).toMatchObject({ introspection: false, playground: true });
  });

  it('parses CORS_ORIGINS as exact origins and refuses anything else', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example.test, http://localhost:3000' }).edge?.corsOrigins).toEqual([
      'https://a.example.test',
      'http://localhost:3000',
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS: "\*" is not an origin/);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example.test/path' })).toThrow(/is not an origin/);
  });
});
