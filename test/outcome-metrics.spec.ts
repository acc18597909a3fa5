import { fake } from '../src/modules/secrets/__fixtures__/fake-secrets';
import { catalogOps } from './support/catalog-ops';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * The counters the README documents, read by value after the events they count: publishes by
 * result (ok or the refusal's code), installs by result, secret guard refusals, quota refusals by
 * quota. Every value is a delta from a scrape taken before, so the order of tests does not matter.
 */

jest.setTimeout(120_000);

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ metricsPort: 0, quotas: { packagesPerTenant: 2 } });
});
afterAll(() => t.close());

async function scrape(): Promise<(series: string) => number> {
  const text = await (await fetch(`${t.app.metricsUrl}/metrics`)).text();
  return (series) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
}

const LEAKY_FLOW = {
  name: 'Leaky',
  nodes: [{ id: 'fetch', type: 'http.request', config: { headers: { 'X-Token': fake.gitHubToken(91) } } }],
  edges: [],
};

it('counts publishes and installs by result, secret guard refusals and quota refusals by quota', async () => {
  const ops = catalogOps(t);
  const tenant = uniqueTenant('counted');
  const token = await t.token({ tenant, user: 'alice' });
  const before = await scrape();

  expect((await ops.publish(token, { packageId: 'first', version: '1.0.0' })).ok).toBe(true);
  expect((await ops.publish(token, { packageId: 'first', version: '2.0.0' })).ok).toBe(true);
  expect(await ops.publish(token, { packageId: 'first', version: '0.1.0' })).toMatchObject({ ok: false, code: 'VERSION_REGRESSION' });
  expect(await ops.publish(token, { packageId: 'leaky', version: '1.0.0', content: LEAKY_FLOW })).toMatchObject({ ok: false, code: 'FLOW_CONTAINS_SECRETS' });
  expect((await ops.publish(token, { packageId: 'second', version: '1.0.0' })).ok).toBe(true);
  expect(await ops.publish(token, { packageId: 'third', version: '1.0.0' })).toMatchObject({ ok: false, code: 'QUOTA_EXCEEDED' });

  expect((await ops.install(token, 'first')).ok).toBe(true);
  expect((await ops.install(token, 'first', { version: '1.0.0' })).ok).toBe(true);
  const reason = 'broken on purpose';
  expect((await ops.changeVersionStatus(token, 'withdraw', { packageId: 'first', version: '1.0.0', reason })).ok).toBe(true);
  expect(await ops.install(token, 'first', { version: '1.0.0' })).toMatchObject({ ok: false, code: 'VERSION_WITHDRAWN' });
  expect(await ops.install(token, 'nowhere')).toMatchObject({ ok: false, code: 'NOT_FOUND' });

  const after = await scrape();
  const delta = (series: string) => after(series) - before(series);
  expect(delta('catalog_publishes_total{result="ok"}')).toBe(3);
  expect(delta('catalog_publishes_total{result="VERSION_REGRESSION"}')).toBe(1);
  expect(delta('catalog_publishes_total{result="FLOW_CONTAINS_SECRETS"}')).toBe(1);
  expect(delta('catalog_publishes_total{result="QUOTA_EXCEEDED"}')).toBe(1);
  expect(delta('catalog_installs_total{result="ok"}')).toBe(2);
  expect(delta('catalog_installs_total{result="VERSION_WITHDRAWN"}')).toBe(1);
  expect(delta('catalog_installs_total{result="NOT_FOUND"}')).toBe(1);
  expect(delta('catalog_secret_guard_refusals_total')).toBe(1);
  expect(delta('catalog_quota_refusals_total{quota="packages"}')).toBe(1);
  expect(delta('catalog_quota_refusals_total{quota="bytes"}')).toBe(0);
});

it('counts a REST publish and install like a GraphQL one: the counters sit behind both edges', async () => {
  const tenant = uniqueTenant('rest-counted');
  const token = await t.token({ tenant, user: 'bob' });
  const before = await scrape();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const content = { name: 'Flow', nodes: [{ id: 'a', type: 'start' }], edges: [] };
  const published = await fetch(`${t.url}/api/v1/catalog/publish`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ package_id: 'over-rest', name: 'Over REST', version: '1.0.0', content }),
  });
  expect(published.status).toBe(201);
  expect((await fetch(`${t.url}/api/v1/catalog/over-rest/install`, { headers })).status).toBe(200);
  const after = await scrape();
  expect(after('catalog_publishes_total{result="ok"}') - before('catalog_publishes_total{result="ok"}')).toBe(1);
  expect(after('catalog_installs_total{result="ok"}') - before('catalog_installs_total{result="ok"}')).toBe(1);
});
