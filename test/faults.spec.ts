import { ServiceUnavailableError } from '../src/common/errors';
import { Database } from '../src/infra/db/database';
import { catalogOps, type CatalogOps, type Outcome } from './support/catalog-ops';
import type { ProxyMode, TcpProxy } from './support/tcp-proxy';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Dependencies failing for real (docs/ARCHITECTURE.md, "Deadlines and failures"): a TCP proxy
 * between the app and Azurite (and PostgreSQL when TEST_DATABASE_URL is set) black-holes or
 * refuses, and the OIDC test issuer goes down or rotates its key. Every request answers
 * SERVICE_UNAVAILABLE within its deadline, /readyz names the part, nothing is half-written, and the
 * service recovers by itself.
 */

// Shorter than the defaults so the file runs quickly; the bound below is the "few seconds".
const TUNING = { statementTimeoutMs: 2_000, connectTimeoutMs: 1_500, blobTimeoutMs: 3_000, issuerTimeoutMs: 2_000 };
const BOUND_MS = 12_000;

jest.setTimeout(90_000);

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

/** Polls until `check` holds, or fails after `withinMs`. */
async function eventually(check: () => Promise<boolean>, withinMs = 15_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return Date.now() - started;
}

function expectUnavailable(outcome: { value: Outcome<unknown>; ms: number }): void {
  expect(outcome.value).toMatchObject({ ok: false, code: 'SERVICE_UNAVAILABLE' });
  expect(outcome.ms).toBeLessThan(BOUND_MS);
}

async function rest(t: TestApp, path: string, token: string) {
  const response = await fetch(`${t.url}/api/v1/catalog${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

async function readyz(t: TestApp) {
  const response = await fetch(`${t.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { failed?: Record<string, string> } };
}

/** Version rows of a tenant with their blob names (read through the app's own pool). */
async function versionBlobNames(t: TestApp, tenant: string): Promise<string[]> {
  const rows = await t.app.orm.em
    .fork()
    .getConnection()
    .execute<{ blob_name: string }[]>(
      'select v.blob_name from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ?',
      [tenant],
    );
  return rows.map((row: { blob_name: string }) => row.blob_name).sort();
}

describe('a dependency that stalls or refuses', () => {
  let t: TestApp;
  let ops: CatalogOps;

  beforeAll(async () => {
    t = await startTestApp({ viaProxies: true, tuning: TUNING });
    ops = catalogOps(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  const cases: { part: 'database' | 'blobStorage'; mode: ProxyMode }[] = [
    { part: 'blobStorage', mode: 'blackhole' },
    { part: 'blobStorage', mode: 'refuse' },
    { part: 'database', mode: 'blackhole' },
    { part: 'database', mode: 'refuse' },
  ];
  const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

  for (const { part, mode } of cases) {
    // PGlite runs inside the process: there is no connection to break.
    const maybe = part === 'database' && !onPostgres ? it.skip : it;
    maybe(`${part} ${mode}: SERVICE_UNAVAILABLE within the deadline, /readyz names it, recovery without a restart`, async () => {
      const proxy = (part === 'database' ? t.proxies!.database : t.proxies!.blob) as TcpProxy;
      const tenant = uniqueTenant();
      const token = await t.token({ tenant });
      // Published while healthy and never installed, so its install has to read the blob (the name
      // makes the archive unique: installs cache archives by sha256).
      expect(await ops.publish(token, { packageId: 'kept', name: `kept ${tenant}`, version: '1.0.0' })).toMatchObject({ ok: true });

      await proxy.setMode(mode);
      try {
        const [publish, list, install] = await Promise.all([
          timed(ops.publish(token, { packageId: 'during', version: '1.0.0' })),
          timed(ops.listPage(token, 10)),
          timed(t.gql(token, 'mutation { installCatalogPackage(packageId: "kept") { metadata { version } } }')),
        ]);
        expectUnavailable(publish);
        expect(install.ms).toBeLessThan(BOUND_MS);
        expect(install.value.body.errors?.[0]?.extensions).toEqual({
          code: 'SERVICE_UNAVAILABLE',
          dependency: part === 'database' ? 'database' : 'blob-storage',
        });
        // Listing never reads a blob.
        if (part === 'database') expectUnavailable(list);
        else expect(list.value).toMatchObject({ ok: true });

        const restInstall = await timed(rest(t, '/kept/install', token));
        expect(restInstall.ms).toBeLessThan(BOUND_MS);
        expect(restInstall.value).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
        expect(Number(restInstall.value.retryAfter)).toBeGreaterThan(0);

        const ready = await timed(readyz(t));
        expect(ready.ms).toBeLessThan(5_000);
        expect(ready.value.status).toBe(503);
        expect(Object.keys(ready.value.body.failed ?? {})).toEqual([part]);
        // The kind of failure, never the error itself: no address or port of the part.
        expect(Object.values(ready.value.body.failed ?? {})[0]).toMatch(
          /^(no answer within \d+ ms|connection (refused|reset|timed out)|unavailable \(see the log\))$/,
        );
        expect(JSON.stringify(ready.value.body)).not.toMatch(/127\.0\.0\.1|:\d{4,5}\b/);
      } finally {
        await proxy.setMode('pass');
      }

      await eventually(async () => (await readyz(t)).status === 200);
      // The failed publish changed nothing: the same version is granted, not a bumped one.
      expect(await ops.publish(token, { packageId: 'during', version: '1.0.0' })).toMatchObject({ ok: true, data: { version: '1.0.0' } });
      expect(await ops.install(token, 'kept')).toMatchObject({ ok: true, data: { metadata: { version: '1.0.0' } } });
      expect(await ops.listPage(token, 10)).toMatchObject({ ok: true });

      // No version row without its blob.
      const rows = await versionBlobNames(t, tenant);
      expect(rows).toHaveLength(2);
      const blobs = await t.blobNames(`catalog/${tenant}/`);
      for (const name of rows) expect(blobs).toContain(name);
    });
  }

  (onPostgres ? it : it.skip)('a statement over its timeout is SERVICE_UNAVAILABLE; an SQL error stays what it is', async () => {
    const db = new Database(t.app.orm, false);
    const slow = await timed(db.run((em) => em.execute('select pg_sleep(30)')).catch((error: unknown) => error));
    expect(slow.value).toBeInstanceOf(ServiceUnavailableError);
    expect(slow.ms).toBeLessThan(TUNING.statementTimeoutMs + 2_000);
    const wrong = await db.run((em) => em.execute('select * from no_such_table')).catch((error: unknown) => error);
    expect(wrong).not.toBeInstanceOf(ServiceUnavailableError);
    expect((wrong as { code?: string }).code).toBe('42P01');
  });

  it('connections cut in flight are replaced without a restart', async () => {
    const token = await t.token({ tenant: uniqueTenant() });
    expect(await ops.listPage(token, 10)).toMatchObject({ ok: true });
    t.proxies!.database?.cut();
    t.proxies!.blob.cut();
    await eventually(async () => (await ops.listPage(token, 10)).ok, 5_000);
    expect(await ops.publish(token, { packageId: 'after-cut', version: '1.0.0' })).toMatchObject({ ok: true });
  });
});

describe('the OIDC issuer', () => {
  let t: TestApp;
  let ops: CatalogOps;

  beforeAll(async () => {
    // Default tuning: the JWKS cooldown under test is the production one.
    t = await startTestApp();
    ops = catalogOps(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('down before the first discovery: 503 SERVICE_UNAVAILABLE at once, then recovers', async () => {
    const token = await t.token({ tenant: uniqueTenant() });
    t.issuer.setAvailable(false);
    try {
      const graphql = await timed(t.gql(token, '{ catalogPackages(first: 1) { edges { node { id } } } }'));
      expect(graphql.ms).toBeLessThan(BOUND_MS);
      expect(graphql.value.status).toBe(503);
      expect(graphql.value.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', dependency: 'issuer' });

      const problem = await rest(t, '/', token);
      expect(problem).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
      expect(Number(problem.retryAfter)).toBeGreaterThan(0);
    } finally {
      t.issuer.setAvailable(true);
    }
    expect(await ops.listPage(token, 1)).toMatchObject({ ok: true });
  });

  it('down after discovery: tokens signed with a known key still pass (keys are cached)', async () => {
    const token = await t.token({ tenant: uniqueTenant() });
    expect(await ops.listPage(token, 1)).toMatchObject({ ok: true });
    t.issuer.setAvailable(false);
    try {
      expect(await ops.listPage(token, 1)).toMatchObject({ ok: true });
    } finally {
      t.issuer.setAvailable(true);
    }
  });

  it('accepts a token signed with a freshly rotated key within a few seconds', async () => {
    const tenant = uniqueTenant();
    expect(await ops.listPage(await t.token({ tenant }), 1)).toMatchObject({ ok: true });
    await t.issuer.rotateKey();
    const rotated = await t.token({ tenant, user: 'after-rotation' });
    const waited = await eventually(async () => (await ops.listPage(rotated, 1)).ok, 10_000);
    expect(waited).toBeLessThan(5_000);
  });
});
