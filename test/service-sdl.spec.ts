import { startTestApp, type TestApp } from './support/test-app';

/**
 * Gateways compose from the live subgraph with `{ _service { sdl } }` and send no caller token:
 * exactly that query is served without one (behind the router secret); nothing else is.
 */
describe('_service { sdl } without a bearer token', () => {
  const SECRET = 'sdl-router-secret';
  let t: TestApp;
  const post = async (query: string, headers: Record<string, string> = { 'router-secret': SECRET }) => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: { _service?: { sdl: string } }; errors?: { extensions?: { code?: string } }[] },
    };
  };

  beforeAll(async () => {
    t = await startTestApp({ routerSecret: SECRET });
  }, 60_000);
  afterAll(() => t?.close());

  it.each([
    '{ _service { sdl } }',
    'query SubgraphIntrospectQuery { _service { sdl } }',
    'query __ApolloGetServiceDefinition__ { _service { sdl __typename } }',
  ])('answers %s with the SDL', async (query) => {
    const result = await post(query);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data?._service?.sdl).toContain('type CatalogPackage');
  });

  it('still needs the router secret', async () => {
    const result = await post('{ _service { sdl } }', {});
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    '{ _service { sdl } catalogPackages(first: 1) { edges { node { id } } } }',
    '{ catalogPackages(first: 1) { edges { node { id } } } }',
    '{ sdl: _service { sdl } }',
    '{ __typename }',
    '{ _entities(representations: [{ __typename: "CatalogPackage", id: "00000000-0000-0000-0000-000000000000" }]) { __typename } }',
    'mutation { _service { sdl } }',
    'query A { _service { sdl } } query B { catalogPackages(first: 1) { edges { node { id } } } }',
    'query { ...F } fragment F on Query { _service { sdl } }',
    '{ _service @include(if: true) { sdl } }',
    '{ _service { sdl }',
  ])('refuses %s without a token', async (query) => {
    const result = await post(query);
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
