import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * The overall request deadline: a flows service that accepts the call and never answers (its own
 * deadline set far out) still gets the client a fast 503 SERVICE_UNAVAILABLE, on both edges.
 */
let t: TestApp;
let stalled: Server;

beforeAll(async () => {
  stalled = createServer(() => {
    // Accept and never answer.
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const flowsApiUrl = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
  t = await startTestApp({ flowsApiUrl, tuning: { requestTimeoutMs: 800, flowsTimeoutMs: 60_000 } });
}, 120_000);
afterAll(async () => {
  await t?.close();
  stalled.closeAllConnections();
  await new Promise((resolve) => stalled.close(resolve));
});

it('answers GraphQL with SERVICE_UNAVAILABLE at the deadline, and writes nothing', async () => {
  const tenant = uniqueTenant();
  const token = await t.token({ tenant });
  const started = Date.now();
  const response = await t.gql(token, 'mutation($i: PublishCatalogPackageInput!) { publishCatalogPackage(input: $i) { id } }', {
    i: { packageId: 'late', name: 'Late', version: '1.0.0', flowId: 'flow_late' },
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(response.status).toBe(503);
  expect(response.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
}, 30_000);

it('answers REST with a 503 problem and Retry-After at the deadline', async () => {
  const token = await t.token({ tenant: uniqueTenant() });
  const response = await fetch(`${t.url}/api/v1/catalog/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ package_id: 'late', name: 'Late', version: '1.0.0', flow_id: 'flow_late' }),
  });
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(((await response.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
}, 30_000);

it('leaves fast requests alone', async () => {
  const token = await t.token({ tenant: uniqueTenant() });
  const response = await t.gql(token, '{ catalogPackages(first: 1) { edges { cursor } } }');
  expect(response.status).toBe(200);
}, 30_000);
