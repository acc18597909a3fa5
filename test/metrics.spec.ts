import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { boundedOperationName } from '../src/infra/metrics/metrics';
import { catalogOps } from './support/catalog-ops';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

jest.setTimeout(120_000);

/** The value of one sample line, e.g. `name{a="b"} 3`; undefined when absent. */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ metricsPort: 0 });
  });
  afterAll(() => t.close());

  it('serves request durations by operation and outcome, publishes, blob calls and Node defaults, without tenant ids', async () => {
    const tenant = uniqueTenant('metrics');
    const token = await t.token({ tenant, user: 'alice' });
    const packageId = `pkg-${tenant}`;
    expect((await catalogOps(t).publish(token, { packageId, version: '1.0.0' })).ok).toBe(true);
    expect((await t.gql(token, 'query ListForMetrics { catalogPackages(first: 1) { edges { node { id } } } }')).status).toBe(200);
    expect((await t.gql(token, 'query MissingForMetrics { catalogPackage(packageId: "nothing-here") { id } }')).body.errors).toBeUndefined();
    expect((await t.gql(null, 'query Anonymous { catalogPackages(first: 1) { edges { node { id } } } }')).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    expect((await fetch(`${t.url}/api/v1/catalog`, auth)).status).toBe(200);
    expect((await fetch(`${t.url}/api/v1/catalog/${packageId}-nope/install`, auth)).status).toBe(404);
    expect((await fetch(`${t.url}/api/v1/catalog/${packageId}/nowhere`, auth)).status).toBe(404);

    const response = await fetch(`${t.app.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const scrape = await response.text();

    const count = (labels: string) => sample(scrape, `catalog_request_duration_seconds_count{${labels}}`);
    expect(count('api="graphql",operation="OpsPublish",outcome="ok",status_class="2xx",status="200"')).toBe(1); // the publish (a named operation of the typed client)
    expect(count('api="graphql",operation="ListForMetrics",outcome="ok",status_class="2xx",status="200"')).toBe(1);
    expect(count('api="graphql",operation="MissingForMetrics",outcome="ok",status_class="2xx",status="200"')).toBe(1);
    expect(count('api="graphql",operation="unknown",outcome="client_error",status_class="4xx",status="401"')).toBe(1); // 401 before GraphQL ran
    expect(count('api="rest",operation="GET /api/v1/catalog",outcome="ok",status_class="2xx",status="200"')).toBe(1);
    expect(count('api="rest",operation="GET /api/v1/catalog/:package_id/install",outcome="client_error",status_class="4xx",status="404"')).toBe(1);
    expect(count('api="rest",operation="GET /api/v1/catalog/*",outcome="client_error",status_class="4xx",status="404"')).toBe(1); // no such route
    expect(scrape).toMatch(
      /^catalog_request_duration_seconds_bucket\{le="0\.005",api="graphql",operation="ListForMetrics",outcome="ok",status_class="2xx",status="200"\} \d+$/m,
    );

    expect(sample(scrape, 'catalog_blob_call_duration_seconds_count{operation="uploadIfAbsent",outcome="ok"}')).toBe(1);
    for (const name of [
      'catalog_publishes_total',
      'catalog_installs_total',
      'catalog_rate_limited_requests_total',
      'catalog_rate_limit_store_failures_total',
      'catalog_secret_guard_refusals_total',
      'catalog_quota_refusals_total',
      'catalog_db_pool_connections',
    ]) {
      expect(scrape).toContain(`# HELP ${name} `);
    }
    if (t.config.database.kind === 'postgres') expect(sample(scrape, 'catalog_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(scrape).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(scrape).toMatch(/^nodejs_eventloop_lag_seconds \d/m);

    expect(scrape).not.toContain(tenant);
    expect(scrape).not.toContain(packageId);
  });

  it('counts GraphQL errors by code, times units of database work, and names the build', async () => {
    const scrape = async () => (await fetch(`${t.app.metricsUrl}/metrics`)).text();
    const errors = (text: string, code: string) => sample(text, `catalog_graphql_errors_total{code="${code}"}`) ?? 0;
    const dbRuns = (text: string) => sample(text, 'catalog_db_call_duration_seconds_count{kind="run",outcome="ok"}') ?? 0;
    const token = await t.token({ tenant: uniqueTenant('errors'), user: 'alice' });
    const before = await scrape();
    const install = 'mutation($p: String!) { installCatalogPackage(packageId: $p) { flow } }';
    for (const p of ['not-here-1', 'not-here-2']) {
      expect((await t.gql(token, install, { p })).body.errors?.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
    }
    expect((await t.gql(token, '{ catalogPackages { nope } }')).status).toBe(400);
    const after = await scrape();
    expect(errors(after, 'NOT_FOUND') - errors(before, 'NOT_FOUND')).toBe(2);
    expect(errors(after, 'GRAPHQL_VALIDATION_FAILED') - errors(before, 'GRAPHQL_VALIDATION_FAILED')).toBe(1);
    expect(dbRuns(after)).toBeGreaterThan(dbRuns(before));

    const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
    expect(sample(after, `catalog_build_info{version="${version}",commit="${commit}"}`)).toBe(1);
  });

  it('answers 404 for anything but GET /metrics', async () => {
    expect((await fetch(`${t.app.metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${t.app.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('caps the GraphQL operation names it labels, then counts the rest as "other"', () => {
    const labels = Array.from({ length: 300 }, (_, i) => boundedOperationName(`Generated${i}`));
    expect(labels.filter((label) => label === 'other').length).toBeGreaterThan(0);
    expect(new Set(labels).size).toBeLessThanOrEqual(101);
    // A name seen before the cap keeps its own label.
    expect(boundedOperationName('Generated0')).toBe('Generated0');
  });
});

describe('the metrics server', () => {
  it('is off without a port, and stops with the app', async () => {
    const off = await startTestApp();
    try {
      expect(off.app.metricsUrl).toBeNull();
    } finally {
      await off.close();
    }
    const on = await startTestApp({ metricsPort: 0 });
    const url = `${on.app.metricsUrl}/metrics`;
    expect((await fetch(url)).status).toBe(200);
    await on.close();
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000); // two apps started one after the other
});

describe('METRICS_PORT', () => {
  it('defaults to 9464, takes a port, and `off` disables the server', () => {
    expect(loadConfig({}).metricsPort).toBe(9464);
    expect(loadConfig({ METRICS_PORT: '9100' }).metricsPort).toBe(9100);
    expect(loadConfig({ METRICS_PORT: 'off' }).metricsPort).toBeNull();
    expect(() => loadConfig({ METRICS_PORT: 'on' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });
});
