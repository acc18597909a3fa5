import { randomBytes } from 'node:crypto';
import { createOrm } from '../src/infra/db/orm';
import { flowContent } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Per-tenant quotas on the real app (PGlite, or PostgreSQL with TEST_DATABASE_URL): exact under
 * concurrent publishes, nothing written on refusal (no row, no blob), and `catalogUsage` equal to
 * what the database holds.
 */

jest.setTimeout(120_000);

const LIMITS = { packagesPerTenant: 5, versionsPerPackage: 3, bytesPerTenant: 20_000 };

const PUBLISH = `mutation Publish($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version } }`;
const USAGE = `query Usage($tenantId: ID) { catalogUsage(tenantId: $tenantId) { packages versions bytes limits { packages bytes versionsPerPackage } } }`;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ quotas: LIMITS });
});

afterAll(async () => {
  await t?.close();
});

function publish(token: string, packageId: string, version: string, readme: string | null = null): Promise<GqlResponse<any>> {
  return t.gql(token, PUBLISH, { input: { packageId, name: packageId, version, content: flowContent(), readme } });
}

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return t.app.orm.em.fork().getConnection().execute<T[]>(query, params);
}

/** What the package and version rows of a tenant add up to. */
async function countedInDatabase(tenant: string) {
  const [row] = await sql<{ packages: string; versions: string; bytes: string }>(
    `select (select count(*) from catalog_package where tenant_id = ?) as packages,
            count(v.id) as versions, coalesce(sum(v.size_bytes), 0) as bytes
     from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ?`,
    [tenant, tenant],
  );
  return { packages: Number(row!.packages), versions: Number(row!.versions), bytes: Number(row!.bytes) };
}

const quotaOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.quota;
const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';

describe('quotas', () => {
  it('20 concurrent publishes against a quota of 5 packages: exactly 5 succeed, 15 are QUOTA_EXCEEDED, nothing else written', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => publish(token, `pkg-${i}`, '1.0.0')));
    const codes = results.map(codeOf);
    expect(codes.filter((c) => c === 'OK')).toHaveLength(5);
    expect(codes.filter((c) => c === 'QUOTA_EXCEEDED')).toHaveLength(15);
    for (const refused of results.filter((r) => codeOf(r) === 'QUOTA_EXCEEDED')) {
      expect(quotaOf(refused)).toEqual({ name: 'packages', limit: 5, used: 5 });
    }
    expect(await countedInDatabase(tenant)).toMatchObject({ packages: 5, versions: 5 });
    // The refused publishes' blobs were removed: one blob per published version.
    expect(await t.blobNames(`catalog/${tenant}/`)).toHaveLength(5);

    // A new version of an existing package is still fine: only new packages count against it.
    expect(codeOf(await publish(token, 'pkg-new', '1.0.0'))).toBe('QUOTA_EXCEEDED');
    const published = results.findIndex((r) => codeOf(r) === 'OK');
    expect(codeOf(await publish(token, `pkg-${published}`, '1.1.0'))).toBe('OK');
  });

  it('versions per package: the fourth version of a package is refused, another package is not', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    for (const version of ['1.0.0', '1.0.1', '1.0.2']) expect(codeOf(await publish(token, 'busy', version))).toBe('OK');
    const refused = await publish(token, 'busy', '1.0.3');
    expect(quotaOf(refused)).toEqual({ name: 'versionsPerPackage', limit: 3, used: 3 });
    expect(codeOf(await publish(token, 'quiet', '1.0.0'))).toBe('OK');
    expect(await countedInDatabase(tenant)).toMatchObject({ packages: 2, versions: 4 });
  });

  it('bytes: archive sizes add up to the limit, the publish that would pass it is refused and leaves no blob', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    // Random text does not compress: each archive is a few KB, so the 20 000 bytes last a few publishes.
    const readme = () => randomBytes(2_500).toString('base64');
    let refused: GqlResponse<any> | null = null;
    for (let i = 0; i < 10 && !refused; i += 1) {
      const res = await publish(token, `big-${i % 4}`, `1.0.${Math.floor(i / 4)}`, readme());
      if (codeOf(res) !== 'OK') refused = res;
    }
    expect(refused && codeOf(refused)).toBe('QUOTA_EXCEEDED');
    const counted = await countedInDatabase(tenant);
    expect(counted.bytes).toBeGreaterThan(LIMITS.bytesPerTenant / 2);
    expect(counted.bytes).toBeLessThanOrEqual(LIMITS.bytesPerTenant);
    expect(quotaOf(refused!)).toEqual({ name: 'bytes', limit: LIMITS.bytesPerTenant, used: counted.bytes });
    expect(await t.blobNames(`catalog/${tenant}/`)).toHaveLength(counted.versions);
  });

  it("bytes: a tenant's first publish larger than the whole quota is refused, and its usage stays zero", async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    const refused = await publish(token, 'huge', '1.0.0', randomBytes(30_000).toString('base64'));
    expect(quotaOf(refused)).toEqual({ name: 'bytes', limit: LIMITS.bytesPerTenant, used: 0 });
    expect(await sql(`select tenant_id from catalog_tenant_usage where tenant_id = ?`, [tenant])).toEqual([]);
    expect(await countedInDatabase(tenant)).toEqual({ packages: 0, versions: 0, bytes: 0 });
    expect(await t.blobNames(`catalog/${tenant}/`)).toHaveLength(0);
  });

  it('a deleted package keeps counting its bytes', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    expect(codeOf(await publish(token, 'gone', '1.0.0'))).toBe('OK');
    const before = await countedInDatabase(tenant);
    const deleted = await t.gql(token, `mutation { deleteCatalogPackage(packageId: "gone") }`);
    expect(deleted.body.errors).toBeUndefined();
    const usage = await t.gql(await t.token({ tenant, roles: ['tenant_admin'] }), USAGE);
    expect(usage.body.data?.catalogUsage).toMatchObject(before);
  });

  it('REST: QUOTA_EXCEEDED is a 409 problem document with the quota', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    for (const version of ['1.0.0', '1.0.1', '1.0.2']) expect(codeOf(await publish(token, 'rest', version))).toBe('OK');
    const response = await fetch(`${t.url}/api/v1/catalog/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ package_id: 'rest', name: 'rest', version: '1.0.3', content: flowContent() }),
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: { name: 'versionsPerPackage', limit: 3, used: 3 } });
  });
});

describe('catalogUsage', () => {
  it('matches the database for a tenant admin and a super admin of another tenant', async () => {
    const tenant = uniqueTenant();
    const token = await t.token({ tenant });
    expect(codeOf(await publish(token, 'a', '1.0.0'))).toBe('OK');
    expect(codeOf(await publish(token, 'a', '1.0.1'))).toBe('OK');
    expect(codeOf(await publish(token, 'b', '1.0.0'))).toBe('OK');
    const expected = {
      ...(await countedInDatabase(tenant)),
      limits: { packages: LIMITS.packagesPerTenant, bytes: LIMITS.bytesPerTenant, versionsPerPackage: LIMITS.versionsPerPackage },
    };
    expect(expected).toMatchObject({ packages: 2, versions: 3 });
    const admin = await t.gql(await t.token({ tenant, roles: ['tenant_admin'] }), USAGE);
    expect(admin.body.data?.catalogUsage).toEqual(expected);
    const superAdmin = await t.gql(await t.token({ tenant: uniqueTenant(), roles: ['super_admin'] }), USAGE, { tenantId: tenant });
    expect(superAdmin.body.data?.catalogUsage).toEqual(expected);
  });

  it('is FORBIDDEN to a member of the tenant and to the admin of another tenant', async () => {
    const tenant = uniqueTenant();
    const member = await t.gql(await t.token({ tenant }), USAGE);
    expect(member.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const otherAdmin = await t.gql(await t.token({ tenant: uniqueTenant(), roles: ['tenant_admin'] }), USAGE, { tenantId: tenant });
    expect(otherAdmin.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('is zero for a tenant that never published', async () => {
    const tenant = uniqueTenant();
    const res = await t.gql(await t.token({ tenant, roles: ['tenant_admin'] }), USAGE);
    expect(res.body.data?.catalogUsage).toMatchObject({ packages: 0, versions: 0, bytes: 0 });
  });
});

describe('the tenant usage migration', () => {
  it('backfills the counters from the rows published before it, deleted packages included', async () => {
    const orm = await createOrm({ kind: 'pglite', dataDir: ':memory:' });
    try {
      await orm.migrator.up({ to: 'Migration20261122052117_republish_base' });
      const connection = orm.em.fork().getConnection();
      const pkg = (id: string, tenant: string, packageId: string, deleted: boolean) =>
        connection.execute(
          `insert into catalog_package (id, tenant_id, package_id, name, latest_version, author_id, visibility, visibility_group_ids, created_at, updated_at, deleted_at)
           values (?, ?, ?, ?, '1.0.1', 'u', 'tenant', '{}', now(), now(), ${deleted ? 'now()' : 'null'})`,
          [id, tenant, packageId, packageId],
        );
      const version = (packageUuid: string, v: string, size: number) =>
        connection.execute(
          `insert into catalog_package_version (id, catalog_package_id, version, sha256, size_bytes, blob_name, publisher_id, published_at)
           values (gen_random_uuid(), ?, ?, repeat('a', 64), ?, 'b', 'u', now())`,
          [packageUuid, v, size],
        );
      const [a, b, c] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];
      await pkg(a, 'one', 'a', false);
      await pkg(b, 'one', 'b', true);
      await pkg(c, 'two', 'c', false);
      await version(a, '1.0.0', 100);
      await version(a, '1.0.1', 200);
      await version(b, '1.0.0', 400);
      await orm.migrator.up();
      const rows = await orm.em
        .fork()
        .getConnection()
        .execute(`select tenant_id, packages::int, versions::int, bytes::int from catalog_tenant_usage order by tenant_id`);
      expect(rows).toEqual([
        { tenant_id: 'one', packages: 2, versions: 3, bytes: 700 },
        { tenant_id: 'two', packages: 1, versions: 0, bytes: 0 },
      ]);
    } finally {
      await orm.close();
    }
  });
});
