import { assertDocumentedResponse } from './support/openapi';
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
    document = (await response.json()) as Record<string, any>;
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
    expect(names('/{package_id}/visibility', 'patch')).toEqual(['If-Match', 'package_id', 'tenant_id']);
    expect(names('/{package_id}', 'get')).toEqual(['If-None-Match', 'package_id', 'tenant_id']);
    expect(names('/{package_id}', 'patch')).toEqual(['If-Match', 'package_id', 'tenant_id']);
    expect(names('/{package_id}', 'delete')).toEqual(['package_id', 'tenant_id']);
  });

  test('has no errors or warnings under the recommended Redocly rules', async () => {
    // An ES module: loaded the way jest can load one from a CommonJS test.
    const { createConfig, lintFromString } = await import('@redocly/openapi-core');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    expect(problems.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual([]);
  });

  test('the response check used by the REST tests refuses what the document does not promise', () => {
    const problem = {
      type: 'https://errors.flow-catalog.dev/not-found',
      title: 'Not found',
      status: 404,
      detail: 'x',
      code: 'NOT_FOUND',
      instance: '/x',
      request_id: null,
    };
    const asProblem = (status: number, body: unknown) => ({ status, contentType: 'application/problem+json', text: JSON.stringify(body), body });
    expect(() => assertDocumentedResponse('GET', '/x/install', asProblem(404, problem))).not.toThrow();
    expect(() => assertDocumentedResponse('GET', '/x/install', asProblem(415, { ...problem, status: 415 }))).toThrow(/declares no such status/);
    expect(() => assertDocumentedResponse('GET', '/x/install', asProblem(404, { ...problem, code: 'NOPE' }))).toThrow(/does not match/);
    expect(() => assertDocumentedResponse('DELETE', '/x', { status: 204, contentType: '', text: 'surprise', body: null })).toThrow(/declares no body/);
    expect(() => assertDocumentedResponse('GET', '/?limit=1', { status: 200, contentType: 'application/json', text: '[{}]', body: [{}] })).toThrow(
      /does not match/,
    );
  });
});
