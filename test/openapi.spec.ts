import { startTestApp, type TestApp } from './support/test-app';

/** The REST shim's OpenAPI document: public, valid OpenAPI 3.1, clean under Redocly's recommended rules. */
describe('OpenAPI document', () => {
  let t: TestApp;
  let document: Record<string, any>;

  beforeAll(async () => {
    t = await startTestApp();
    const response = await fetch(`${t.url}/api/v1/catalog/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = await response.json();
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  test('is served without a token and describes every endpoint', () => {
    expect(document['openapi']).toBe('3.1.0');
    expect(Object.keys(document['paths']).sort()).toEqual(['/', '/publish', '/{package_id}', '/{package_id}/install', '/{package_id}/visibility']);
    expect(document['components'].securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  test("documents the query parameters each endpoint's schema accepts", () => {
    const names = (path: string, method: string) => document['paths'][path][method].parameters.map((p: { name: string }) => p.name).sort();
    expect(names('/', 'get')).toEqual(['author_id', 'cursor', 'limit', 'node_type', 'q', 'sort', 'tag']);
    expect(names('/{package_id}/install', 'get')).toEqual(['package_id', 'tenant_id', 'version']);
    expect(names('/{package_id}/visibility', 'patch')).toEqual(['package_id', 'tenant_id']);
    expect(names('/{package_id}', 'delete')).toEqual(['package_id', 'tenant_id']);
  });

  test('has no errors or warnings under the recommended Redocly rules', async () => {
    // An ES module: loaded the way jest can load one from a CommonJS test.
    const { createConfig, lintFromString } = await import('@redocly/openapi-core');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    expect(problems.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual([]);
  });
});
