import { BlobServiceClient } from '@azure/storage-blob';
import { print } from 'graphql';
import { ALL_SCOPES, startTestApp, uniqueTenant, type TestApp } from './support/test-app';
import type { GqlResponse } from './support/graphql-client';
import {
  ChangeVisibilityDocument,
  InstallPackageDocument,
  ListPackagesDocument,
  PublishPackageDetailsDocument,
  type ListPackagesQuery,
  type PublishCatalogPackageInput,
} from './generated/graphql';

/**
 * Publish → list → install through real HTTP on the real app (PGlite in memory, or PostgreSQL when
 * TEST_DATABASE_URL is set), a real Azurite and a real OIDC issuer. Each test uses its own tenant,
 * so nothing here depends on what another test wrote.
 */

jest.setTimeout(60_000);

/** A small valid flow with fields the catalog does not know about, which must survive verbatim. */
function sampleFlow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'flow-123',
    name: 'Support triage',
    nodes: [
      {
        id: 'start',
        type: 'trigger.webhook',
        name: 'Webhook',
        config: { path: '/hook', headers: { 'x-a': '1' }, retries: [1, 2, 3] },
        position: { x: 0, y: 10.5 },
        uiColor: '#ff0',
      },
      { id: 'reply', type: 'llm.chat', config: { model: 'small', temperature: 0.2, stop: null } },
    ],
    edges: [{ id: 'e1', source: 'start', target: 'reply', sourceHandle: null, label: 'always' }],
    config: { timeoutSeconds: 30, tags: ['a', 'b'] },
    ...overrides,
  };
}

function publishInput(packageId: string, overrides: Partial<PublishCatalogPackageInput> = {}): PublishCatalogPackageInput {
  return {
    packageId,
    name: 'Support Triage',
    description: 'Routes tickets',
    version: '0.1.0',
    readme: '# Support triage\n',
    content: sampleFlow(),
    ...overrides,
  };
}

function errorOf(response: GqlResponse<unknown>) {
  expect(response.body.errors).toBeDefined();
  expect(response.body.errors).toHaveLength(1);
  return response.body.errors![0]!;
}

describe('publish, list and install over HTTP', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Everyone in `tenant` with both permissions, as `user`. */
  const tokenFor = (tenant: string, user = 'alice', extra: Record<string, unknown> = {}) =>
    t.token({ tenant, user, email: `${user}@${tenant}.example`, scopes: ALL_SCOPES, ...extra });

  async function publish(token: string, input: PublishCatalogPackageInput) {
    const response = await t.request(PublishPackageDetailsDocument, { input }, token);
    expect(response.body.errors).toBeUndefined();
    expect(response.status).toBe(200);
    return response.body.data!.publishCatalogPackage;
  }

  async function list(token: string, variables: { first?: number; after?: string | null } = {}) {
    const response = await t.request(ListPackagesDocument, variables, token);
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.catalogPackages;
  }

  /** Rows as the database has them, read beside the app (no request is in flight when called). */
  async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return t.app.orm.em.fork().getConnection().execute<T[]>(query, params);
  }

  const packageRows = (tenant: string) =>
    sql<{ package_id: string; latest_version: string }>('select package_id, latest_version from catalog_package where tenant_id = ? order by package_id', [
      tenant,
    ]);
  const versionRows = (tenant: string, packageId: string) =>
    sql<{ version: string; blob_name: string; sha256: string }>(
      `select v.version, v.blob_name, v.sha256 from catalog_package_version v
         join catalog_package p on p.id = v.catalog_package_id
       where p.tenant_id = ? and p.package_id = ?`,
      [tenant, packageId],
    );

  describe('round trip', () => {
    it('publishes inline content, lists it and installs a fresh copy', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);

      const published = await publish(token, publishInput('support-triage'));
      expect(published).toMatchObject({
        tenantId: tenant,
        packageId: 'support-triage',
        name: 'Support Triage',
        description: 'Routes tickets',
        version: '0.1.0',
        readme: '# Support triage\n',
        authorId: 'alice',
        authorEmail: `alice@${tenant}.example`,
        visibility: 'TENANT',
        visibilityGroupIds: [],
      });
      expect(published.id).toMatch(/^[0-9a-f-]{36}$/);

      const page = await list(token);
      expect(page.edges.map((e) => e.node)).toEqual([
        { id: published.id, tenantId: tenant, packageId: 'support-triage', name: 'Support Triage', version: '0.1.0' },
      ]);
      expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: page.edges[0]!.cursor });

      const installed = await t.request(InstallPackageDocument, { packageId: 'support-triage' }, token);
      expect(installed.body.errors).toBeUndefined();
      const { flow, metadata } = installed.body.data!.installCatalogPackage;
      const source = sampleFlow();
      expect(flow.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(flow.id).not.toBe(source.id);
      expect(flow.name).toBe('Copy of Support triage');
      expect(flow.nodes).toEqual(source.nodes);
      expect(flow.edges).toEqual(source.edges);
      expect(flow.config).toEqual(source.config);
      expect(metadata).toEqual({
        tenantId: tenant,
        packageId: 'support-triage',
        name: 'Support Triage',
        version: '0.1.0',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        authorEmail: `alice@${tenant}.example`,
        deprecation: null,
      });

      // Each install mints its own id.
      const again = await t.request(InstallPackageDocument, { packageId: 'support-triage' }, token);
      expect(again.body.data!.installCatalogPackage.flow.id).not.toBe(flow.id);
    });

    it('names the copy after the package when the flow has no name, and accepts a flow without id', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      const { id: _id, name: _name, ...unnamed } = sampleFlow();
      await publish(token, publishInput('nameless', { name: 'Nameless Package', content: unnamed }));

      const installed = await t.request(InstallPackageDocument, { packageId: 'nameless' }, token);
      expect(installed.body.errors).toBeUndefined();
      expect(installed.body.data!.installCatalogPackage.flow.name).toBe('Copy of Nameless Package');
      expect(installed.body.data!.installCatalogPackage.flow.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('installs a package that does not exist as NOT_FOUND', async () => {
      const token = await tokenFor(uniqueTenant());
      const error = errorOf(await t.request(InstallPackageDocument, { packageId: 'nothing-here' }, token));
      expect(error.extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('list', () => {
    it('pages newest first with first/after across pages', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      const ids = ['pkg-a', 'pkg-b', 'pkg-c', 'pkg-d', 'pkg-e'];
      for (const packageId of ids) await publish(token, publishInput(packageId));
      // Republishing does not move a package in the list: the order is by creation.
      await publish(token, publishInput('pkg-a'));
      const newestFirst = [...ids].reverse();

      const seen: string[] = [];
      let after: string | null = null;
      const pages: boolean[] = [];
      do {
        const page: ListPackagesQuery['catalogPackages'] = await list(token, { first: 2, after });
        expect(page.edges.length).toBeLessThanOrEqual(2);
        seen.push(...page.edges.map((e) => e.node.packageId));
        pages.push(page.pageInfo.hasNextPage);
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);

      expect(seen).toEqual(newestFirst);
      expect(pages).toEqual([true, true, false]);

      // Without `first`, one page holds everything here.
      expect((await list(token)).edges.map((e) => e.node.packageId)).toEqual(newestFirst);
    });

    it.each([
      ['not base64 JSON', '%%%not-a-cursor'],
      ['JSON without the keys', Buffer.from('{"x":1}').toString('base64url')],
      ['a bad id', Buffer.from('{"t":"2024-01-01T00:00:00.000Z","i":"1; drop table x"}').toString('base64url')],
    ])('refuses an invalid cursor (%s) as BAD_USER_INPUT', async (_name, after) => {
      const token = await tokenFor(uniqueTenant());
      const response = await t.request(ListPackagesDocument, { first: 2, after }, token);
      const error = errorOf(response);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.problems).toEqual([expect.objectContaining({ path: '$.after' })]);
      expect(response.body.data ?? null).toBeNull();
    });

    it.each([[101], [0], [-1]])('refuses first = %d as BAD_USER_INPUT', async (first) => {
      const token = await tokenFor(uniqueTenant());
      const error = errorOf(await t.request(ListPackagesDocument, { first }, token));
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.problems).toEqual([expect.objectContaining({ path: '$.first' })]);
    });

    it('accepts first = 100', async () => {
      const token = await tokenFor(uniqueTenant());
      expect((await list(token, { first: 100 })).edges).toEqual([]);
    });
  });

  describe('versions', () => {
    it('auto-bumps a republished latest version and keeps an explicit higher one', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);

      expect((await publish(token, publishInput('bumpy'))).version).toBe('0.1.0');
      expect((await publish(token, publishInput('bumpy'))).version).toBe('0.1.1');
      // Asking for 0.1.1 (now the latest) bumps again.
      expect((await publish(token, publishInput('bumpy', { version: '0.1.1' }))).version).toBe('0.1.2');
      expect((await publish(token, publishInput('bumpy', { version: '2.0.0' }))).version).toBe('2.0.0');
      expect((await publish(token, publishInput('bumpy', { version: '2.0.0' }))).version).toBe('2.0.1');

      const versions = (await versionRows(tenant, 'bumpy')).map((v) => v.version).sort();
      expect(versions).toEqual(['0.1.0', '0.1.1', '0.1.2', '2.0.0', '2.0.1']);
      expect(await t.blobNames(`catalog/${tenant}/`)).toEqual(
        ['0.1.0', '0.1.1', '0.1.2', '2.0.0', '2.0.1'].map((v) => `catalog/${tenant}/bumpy/v${v}.scaipkg`),
      );
      // The list shows the latest; install serves it.
      expect((await list(token)).edges[0]!.node.version).toBe('2.0.1');
      const installed = await t.request(InstallPackageDocument, { packageId: 'bumpy' }, token);
      expect(installed.body.data!.installCatalogPackage.metadata.version).toBe('2.0.1');
    });

    it('refuses a version below the latest with VERSION_REGRESSION and writes nothing', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      await publish(token, publishInput('regress', { version: '1.2.0' }));
      const blobsBefore = await t.blobNames(`catalog/${tenant}/`);

      const response = await t.request(PublishPackageDetailsDocument, { input: publishInput('regress', { version: '1.1.9' }) }, token);
      const error = errorOf(response);
      expect(error.extensions?.code).toBe('VERSION_REGRESSION');
      expect(error.message).toMatch(/1\.1\.9.*1\.2\.0/);
      expect([200, 409]).toContain(response.status);

      expect(await packageRows(tenant)).toEqual([{ package_id: 'regress', latest_version: '1.2.0' }]);
      expect((await versionRows(tenant, 'regress')).map((v) => v.version)).toEqual(['1.2.0']);
      expect(await t.blobNames(`catalog/${tenant}/`)).toEqual(blobsBefore);
    });

    it('writes the blob at catalog/{tenant}/{package}/v{version}.scaipkg and records it', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      await publish(token, publishInput('where-is-it', { version: '3.4.5-rc.1' }));

      const expected = `catalog/${tenant}/where-is-it/v3.4.5-rc.1.scaipkg`;
      expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([expected]);
      const [row] = await versionRows(tenant, 'where-is-it');
      expect(row).toMatchObject({ version: '3.4.5-rc.1', blob_name: expected });
      expect(row!.sha256).toMatch(/^[0-9a-f]{64}$/);
      // Nothing else anywhere in the container for this tenant (no temp or staging blobs).
      expect((await t.blobNames()).filter((name) => name.includes(tenant))).toEqual([expected]);
    });

    it('gives each of 20 concurrent republishes of one package and version its own version', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      await publish(token, publishInput('racy', { version: '1.0.0' }));

      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.request(PublishPackageDetailsDocument, { input: publishInput('racy', { version: '1.0.0' }) }, token)),
      );
      for (const response of responses) expect(response.body.errors).toBeUndefined();
      const versions = responses.map((r) => r.body.data!.publishCatalogPackage.version);
      expect(new Set(versions).size).toBe(20);
      const expected = Array.from({ length: 20 }, (_, i) => `1.0.${i + 1}`);
      expect([...versions].sort(byPatch)).toEqual(expected);

      const all = ['1.0.0', ...expected];
      expect((await versionRows(tenant, 'racy')).map((v) => v.version).sort(byPatch)).toEqual(all);
      expect((await t.blobNames(`catalog/${tenant}/racy/`)).sort()).toEqual(all.map((v) => `catalog/${tenant}/racy/v${v}.scaipkg`).sort());
      expect(await packageRows(tenant)).toEqual([{ package_id: 'racy', latest_version: '1.0.20' }]);
    });

    it('gives each of 20 concurrent first publishes of a new package its own version', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);

      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.request(PublishPackageDetailsDocument, { input: publishInput('fresh', { version: '1.0.0' }) }, token)),
      );
      for (const response of responses) expect(response.body.errors).toBeUndefined();
      const versions = responses.map((r) => r.body.data!.publishCatalogPackage.version);
      const expected = Array.from({ length: 20 }, (_, i) => `1.0.${i}`);
      expect([...versions].sort(byPatch)).toEqual(expected);
      expect(new Set(responses.map((r) => r.body.data!.publishCatalogPackage.id)).size).toBe(1);

      expect((await versionRows(tenant, 'fresh')).map((v) => v.version).sort(byPatch)).toEqual(expected);
      expect(await t.blobNames(`catalog/${tenant}/`)).toHaveLength(20);
      expect(await packageRows(tenant)).toEqual([{ package_id: 'fresh', latest_version: '1.0.19' }]);
    });
  });

  describe('refused publishes write nothing', () => {
    async function expectNothingWritten(tenant: string): Promise<void> {
      expect(await packageRows(tenant)).toEqual([]);
      expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
    }

    it('lists every compile problem with its path (FLOW_COMPILE_FAILED) and leaves no row and no blob', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      const broken = {
        name: 'Broken',
        nodes: [{ id: 'a', type: 'trigger.webhook' }, { id: 'a', type: 'llm.chat' }, { id: 'c', type: '9-starts-with-a-digit' }, { id: 'd' }],
        edges: [
          { source: 'a', target: 'ghost' },
          { source: 'nowhere', target: 'c' },
        ],
      };

      const response = await t.request(PublishPackageDetailsDocument, { input: publishInput('broken', { content: broken }) }, token);
      const error = errorOf(response);
      expect(error.extensions?.code).toBe('FLOW_COMPILE_FAILED');
      expect(response.body.data ?? null).toBeNull();
      const paths = (error.extensions?.problems as { path: string; message: string }[]).map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['$.nodes[1].id', '$.nodes[2].type', '$.nodes[3].type', '$.edges[0].target', '$.edges[1].source']));
      for (const problem of error.extensions?.problems as { message: string }[]) expect(problem.message).not.toBe('');
      await expectNothingWritten(tenant);
    });

    it('leaves an existing package untouched when a republish does not compile', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      await publish(token, publishInput('stable'));
      const error = errorOf(await t.request(PublishPackageDetailsDocument, { input: publishInput('stable', { content: { nodes: [], edges: [] } }) }, token));
      expect(error.extensions?.code).toBe('FLOW_COMPILE_FAILED');
      expect(error.extensions?.problems).toEqual([expect.objectContaining({ path: '$.nodes' })]);
      expect(await packageRows(tenant)).toEqual([{ package_id: 'stable', latest_version: '0.1.0' }]);
      expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([`catalog/${tenant}/stable/v0.1.0.scaipkg`]);
    });

    it.each([
      ['an upper-case package id', { packageId: 'Bad_Id' }, '$.packageId'],
      ['a package id over 64 characters', { packageId: 'a'.repeat(65) }, '$.packageId'],
      ['a version that is not semver', { version: '1.2' }, '$.version'],
      ['a version with a v', { version: 'v1.2.3' }, '$.version'],
      ['an empty name', { name: '  ' }, '$.name'],
      ['both flowId and content', { flowId: 'flow-1' }, '$.content'],
      ['neither flowId nor content', { content: null }, '$.flowId'],
    ])('refuses %s as BAD_USER_INPUT with the problem', async (_name, overrides, path) => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      const response = await t.request(PublishPackageDetailsDocument, { input: publishInput('good-id', overrides) }, token);
      const error = errorOf(response);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      await expectNothingWritten(tenant);
    });

    it('lists several input problems at once', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      const error = errorOf(await t.request(PublishPackageDetailsDocument, { input: publishInput('Bad Id', { version: 'one', content: null }) }, token));
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      const paths = (error.extensions?.problems as { path: string }[]).map((p) => p.path).sort();
      expect(paths).toEqual(['$.flowId', '$.packageId', '$.version']);
      await expectNothingWritten(tenant);
    });

    it('answers FLOW_SOURCE_UNAVAILABLE for a publish by flowId when FLOWS_API_URL is not set', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      const response = await t.request(PublishPackageDetailsDocument, { input: publishInput('by-flow-id', { flowId: 'flow-1', content: null }) }, token);
      const error = errorOf(response);
      expect(error.extensions?.code).toBe('FLOW_SOURCE_UNAVAILABLE');
      expect(error.message).toMatch(/FLOWS_API_URL/);
      await expectNothingWritten(tenant);
    });
  });

  describe('install integrity', () => {
    it('refuses an archive whose sha256 does not match, masked with a request id', async () => {
      const tenant = uniqueTenant();
      const token = await tokenFor(tenant);
      await publish(token, publishInput('tampered'));
      const blobName = `catalog/${tenant}/tampered/v0.1.0.scaipkg`;

      // Overwrite the blob out of band, as a storage operator (or an attacker) could.
      const blob = BlobServiceClient.fromConnectionString(t.azurite.connectionString).getContainerClient(t.container).getBlockBlobClient(blobName);
      const original = await blob.downloadToBuffer();
      const altered = Buffer.from(original);
      altered[altered.length - 1] ^= 0xff;
      await blob.uploadData(altered);

      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: print(InstallPackageDocument), variables: { packageId: 'tampered' } }),
      });
      const text = await response.text();
      const body = JSON.parse(text) as GqlResponse<unknown>['body'];
      const error = errorOf({ status: response.status, body });
      expect(error.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const requestId = response.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      expect(error.extensions?.requestId).toBe(requestId);
      expect(error.message).toContain(requestId!);
      expect(body.data ?? null).toBeNull();
      // Nothing about the internals reaches the caller.
      expect(text).not.toMatch(/stacktrace|\bat .*\.(ts|js):\d+|select |catalog_package|sha256|scaipkg|integrity/i);
    });
  });

  describe('visibility in the list', () => {
    it('shows nothing of another tenant', async () => {
      const tenantA = uniqueTenant('a');
      const tenantB = uniqueTenant('b');
      await publish(await tokenFor(tenantA), publishInput('only-in-a'));

      const other = await tokenFor(tenantB, 'mallory');
      expect((await list(other)).edges).toEqual([]);
      expect(errorOf(await t.request(InstallPackageDocument, { packageId: 'only-in-a' }, other)).extensions?.code).toBe('NOT_FOUND');
      // Same user id, other tenant: still nothing.
      expect((await list(await tokenFor(tenantB, 'alice'))).edges).toEqual([]);
    });

    it('shows a groups package to members and its author only', async () => {
      const tenant = uniqueTenant();
      const author = await tokenFor(tenant, 'alice');
      await publish(author, publishInput('for-g1'));
      await publish(author, publishInput('for-everyone'));
      const changed = await t.request(ChangeVisibilityDocument, { packageId: 'for-g1', visibility: 'GROUPS', groups: ['g1', 'g2'] }, author);
      expect(changed.body.errors).toBeUndefined();
      expect(changed.body.data!.setCatalogPackageVisibility).toEqual({ visibility: 'GROUPS', visibilityGroupIds: ['g1', 'g2'] });

      const ids = async (token: string) => (await list(token)).edges.map((e) => e.node.packageId).sort();
      expect(await ids(author)).toEqual(['for-everyone', 'for-g1']);
      expect(await ids(await tokenFor(tenant, 'bob', { groups: ['g2'] }))).toEqual(['for-everyone', 'for-g1']);
      expect(await ids(await tokenFor(tenant, 'carol', { groups: ['g3'] }))).toEqual(['for-everyone']);
      expect(await ids(await tokenFor(tenant, 'dave'))).toEqual(['for-everyone']);
      // A member of the group in another tenant sees nothing.
      expect(await ids(await tokenFor(uniqueTenant(), 'erin', { groups: ['g1'] }))).toEqual([]);

      const carol = await tokenFor(tenant, 'carol', { groups: ['g3'] });
      expect(errorOf(await t.request(InstallPackageDocument, { packageId: 'for-g1' }, carol)).extensions?.code).toBe('NOT_FOUND');
      const bob = await tokenFor(tenant, 'bob', { groups: ['g1'] });
      expect((await t.request(InstallPackageDocument, { packageId: 'for-g1' }, bob)).body.errors).toBeUndefined();
    });

    it('shows every tenant to a super admin', async () => {
      const tenantA = uniqueTenant('a');
      const tenantB = uniqueTenant('b');
      await publish(await tokenFor(tenantA), publishInput('pkg-in-a'));
      await publish(await tokenFor(tenantB), publishInput('pkg-in-b'));
      const root = await tokenFor(uniqueTenant('ops'), 'root', { roles: ['super_admin'] });
      const seen = (await list(root, { first: 100 })).edges.map((e) => `${e.node.tenantId}/${e.node.packageId}`);
      expect(seen).toEqual(expect.arrayContaining([`${tenantA}/pkg-in-a`, `${tenantB}/pkg-in-b`]));
    });
  });

  describe('tokens and permissions at the HTTP edge', () => {
    async function expect401(token: string | null, headers: Record<string, string> = {}): Promise<void> {
      const response = await t.request(ListPackagesDocument, {}, token, headers);
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.body.data ?? null).toBeNull();
    }

    it('refuses a request without a token', async () => {
      await expect401(null);
    });

    it('refuses a malformed token and a non-bearer scheme', async () => {
      await expect401('not.a.jwt');
      await expect401('garbage');
      await expect401(null, { authorization: 'Basic YWxpY2U6c2VjcmV0' });
    });

    it('refuses an expired token', async () => {
      const tenant = uniqueTenant();
      await expect401(await t.issuer.tokenFor({ tenant, user: 'alice', scopes: ALL_SCOPES }, { expiresIn: -600 }));
    });

    it('refuses a token for another audience', async () => {
      const tenant = uniqueTenant();
      await expect401(await t.issuer.tokenFor({ tenant, user: 'alice', scopes: ALL_SCOPES }, { audience: 'someone-else' }));
    });

    it('refuses a publish without scaicore:manage as FORBIDDEN and writes nothing', async () => {
      const tenant = uniqueTenant();
      const viewer = await tokenFor(tenant, 'victor', { scopes: 'scaicore:view' });
      const response = await t.request(PublishPackageDetailsDocument, { input: publishInput('not-allowed') }, viewer);
      expect(errorOf(response).extensions?.code).toBe('FORBIDDEN');
      expect(await packageRows(tenant)).toEqual([]);
      expect(await t.blobNames(`catalog/${tenant}/`)).toEqual([]);
    });

    it('refuses a list and an install without scaicore:view as FORBIDDEN', async () => {
      const tenant = uniqueTenant();
      await publish(await tokenFor(tenant), publishInput('hidden'));
      const manager = await tokenFor(tenant, 'mona', { scopes: 'scaicore:manage' });
      expect(errorOf(await t.request(ListPackagesDocument, {}, manager)).extensions?.code).toBe('FORBIDDEN');
      expect(errorOf(await t.request(InstallPackageDocument, { packageId: 'hidden' }, manager)).extensions?.code).toBe('FORBIDDEN');
    });
  });
});

function byPatch(a: string, b: string): number {
  const parts = (v: string) => v.split('.').map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}
