import { flowContent } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { assertDocumentedResponse } from './support/openapi';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Quarantine (docs/API.md, "Quarantine"), on the real app: an admin freezes a package; nobody else
 * may install it, check an install, publish to it or change it, through GraphQL or REST; update
 * checks say so (the reason for admins only); release undoes it; each step is audited and moves
 * the package's revision.
 */

jest.setTimeout(300_000);

const PACKAGE_FIELDS = 'packageId version revision quarantined quarantineReason updatedAt';
const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { ${PACKAGE_FIELDS} } }`;
const QUARANTINE = `mutation Q($p: String!, $r: String!, $t: ID) { quarantineCatalogPackage(packageId: $p, reason: $r, tenantId: $t) { ${PACKAGE_FIELDS} } }`;
const RELEASE = `mutation R($p: String!, $t: ID) { releaseCatalogPackage(packageId: $p, tenantId: $t) { ${PACKAGE_FIELDS} } }`;
const GET = `query G($p: String!, $t: ID) { catalogPackage(packageId: $p, tenantId: $t) { ${PACKAGE_FIELDS} } }`;
const INSTALL = `mutation I($p: String!, $t: ID) { installCatalogPackage(packageId: $p, tenantId: $t) { metadata { version } } }`;
const CHECK = `query C($p: String!) { catalogInstallCheck(packageId: $p, environment: { nodeTypes: [], credentials: [] }) { installable } }`;
const UPDATES = `query U($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) {
  packageId updateAvailable quarantined quarantineReason } }`;
const VISIBILITY = `mutation V($p: String!) { setCatalogPackageVisibility(packageId: $p, visibility: GROUPS, visibilityGroupIds: ["g1"]) { packageId } }`;
const DEPRECATE = `mutation D($p: String!) { deprecateCatalogPackageVersion(packageId: $p, version: "1.0.0", reason: "old") { version } }`;
const TRAIL = `query A($p: String!) { catalogAuditEvents(packageId: $p, first: 100) { edges { node { action actorId changes } } } }`;
const REASON = 'Suspected hijacked publisher: the 1.0.0 archive calls an unknown host';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';

async function people() {
  const tenant = uniqueTenant();
  return {
    tenant,
    author: await t.token({ tenant, user: 'author' }),
    member: await t.token({ tenant, user: 'member' }),
    admin: await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] }),
    superAdmin: await t.token({ tenant: uniqueTenant(), user: 'root', roles: ['super_admin'] }),
  };
}

async function publish(token: string, packageId: string, version: string) {
  return t.gql(token, PUBLISH, { input: { packageId, name: packageId, version, content: flowContent() } });
}

async function rest(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${t.url}/api/v1/catalog${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const received = {
    status: response.status,
    headers: response.headers,
    contentType,
    text,
    body: text && contentType.includes('json') ? JSON.parse(text) : null,
  };
  assertDocumentedResponse(method, path, received);
  return received;
}

async function versionCount(tenant: string, packageId: string): Promise<number> {
  const rows = await t.app.orm.em
    .fork()
    .getConnection()
    .execute<{ n: number }[]>(
      `select count(*)::int as n from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ? and p.package_id = ?`,
      [tenant, packageId],
    );
  return Number(rows[0]!.n);
}

describe('quarantine', () => {
  it('stops installs, publishes and changes by everyone but admins, on both edges, until released', async () => {
    const who = await people();
    const published = await publish(who.author, 'suspect', '1.0.0');
    expect(published.body.data.publishCatalogPackage).toMatchObject({ revision: 1, quarantined: false, quarantineReason: null });

    const quarantined = await t.gql(who.admin, QUARANTINE, { p: 'suspect', r: REASON });
    expect(quarantined.body.data.quarantineCatalogPackage).toMatchObject({ quarantined: true, quarantineReason: REASON, revision: 2 });

    // Members and the author see that it is quarantined, never why.
    for (const token of [who.member, who.author]) {
      expect((await t.gql(token, GET, { p: 'suspect' })).body.data.catalogPackage).toMatchObject({ quarantined: true, quarantineReason: null });
    }
    expect((await t.gql(who.admin, GET, { p: 'suspect' })).body.data.catalogPackage.quarantineReason).toBe(REASON);

    // Refused for the member and the author, on every path.
    for (const token of [who.member, who.author]) {
      expect(codeOf(await t.gql(token, INSTALL, { p: 'suspect' }))).toBe('PACKAGE_QUARANTINED');
      expect(codeOf(await t.gql(token, CHECK, { p: 'suspect' }))).toBe('PACKAGE_QUARANTINED');
      const restInstall = await rest('GET', '/suspect/install', token);
      expect(restInstall.status).toBe(409);
      expect(restInstall.body.code).toBe('PACKAGE_QUARANTINED');
    }
    expect(codeOf(await publish(who.author, 'suspect', '1.1.0'))).toBe('PACKAGE_QUARANTINED');
    const restPublish = await rest('POST', '/publish', who.author, { package_id: 'suspect', name: 'suspect', version: '1.2.0', content: flowContent() });
    expect([restPublish.status, restPublish.body.code]).toEqual([409, 'PACKAGE_QUARANTINED']);
    expect(codeOf(await t.gql(who.author, VISIBILITY, { p: 'suspect' }))).toBe('PACKAGE_QUARANTINED');
    expect(codeOf(await t.gql(who.author, DEPRECATE, { p: 'suspect' }))).toBe('PACKAGE_QUARANTINED');
    const restDelete = await rest('DELETE', '/suspect', who.author);
    expect([restDelete.status, restDelete.body.code]).toEqual([409, 'PACKAGE_QUARANTINED']);

    // Nothing of those refusals was written: one version, the revision where the quarantine left it.
    expect(await versionCount(who.tenant, 'suspect')).toBe(1);
    expect((await t.gql(who.admin, GET, { p: 'suspect' })).body.data.catalogPackage).toMatchObject({ revision: 2, version: '1.0.0' });

    // Admins still may: an install to inspect it, a publish of a fixed version.
    expect((await t.gql(who.admin, INSTALL, { p: 'suspect' })).body.data.installCatalogPackage.metadata.version).toBe('1.0.0');
    expect((await publish(who.admin, 'suspect', '1.0.1')).body.data.publishCatalogPackage).toMatchObject({ version: '1.0.1', revision: 3, quarantined: true });

    const released = await t.gql(who.admin, RELEASE, { p: 'suspect' });
    expect(released.body.data.releaseCatalogPackage).toMatchObject({ quarantined: false, quarantineReason: null, revision: 4 });
    expect((await t.gql(who.member, INSTALL, { p: 'suspect' })).body.data.installCatalogPackage.metadata.version).toBe('1.0.1');
    expect(codeOf(await publish(who.author, 'suspect', '1.1.0'))).toBe('OK');
  });

  it('is for tenant and super admins only, needs a reason, and cannot be repeated', async () => {
    const who = await people();
    await publish(who.author, 'guarded', '1.0.0');
    expect(codeOf(await t.gql(who.author, QUARANTINE, { p: 'guarded', r: REASON }))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(who.member, QUARANTINE, { p: 'guarded', r: REASON }))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(who.admin, QUARANTINE, { p: 'guarded', r: '   ' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(who.admin, QUARANTINE, { p: 'guarded', r: 'x'.repeat(501) }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(who.admin, RELEASE, { p: 'guarded' }))).toBe('ILLEGAL_STATE');
    expect(codeOf(await t.gql(who.admin, QUARANTINE, { p: 'nope', r: REASON }))).toBe('NOT_FOUND');
    // None of the refusals changed the package.
    expect((await t.gql(who.admin, GET, { p: 'guarded' })).body.data.catalogPackage).toMatchObject({ revision: 1, quarantined: false });

    // A super admin of another tenant names the tenant.
    const byRoot = await t.gql(who.superAdmin, QUARANTINE, { p: 'guarded', r: REASON, t: who.tenant });
    expect(byRoot.body.data.quarantineCatalogPackage).toMatchObject({ quarantined: true, quarantineReason: REASON });
    expect(codeOf(await t.gql(who.admin, QUARANTINE, { p: 'guarded', r: REASON }))).toBe('ILLEGAL_STATE');
    expect(codeOf(await t.gql(who.author, RELEASE, { p: 'guarded' }))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(who.admin, RELEASE, { p: 'guarded' }))).toBe('OK');
  });

  it('is reported by update checks, with the reason for admins only', async () => {
    const who = await people();
    await publish(who.author, 'watched', '1.0.0');
    await publish(who.author, 'watched', '1.1.0');
    await publish(who.author, 'calm', '1.0.0');
    await t.gql(who.admin, QUARANTINE, { p: 'watched', r: REASON });
    const installed = [
      { packageId: 'watched', version: '1.0.0' },
      { packageId: 'calm', version: '1.0.0' },
      { packageId: 'unknown', version: '1.0.0' },
    ];
    const forMember = (await t.gql(who.member, UPDATES, { installed })).body.data.catalogUpdates;
    expect(forMember).toEqual([
      { packageId: 'watched', updateAvailable: true, quarantined: true, quarantineReason: null },
      { packageId: 'calm', updateAvailable: false, quarantined: false, quarantineReason: null },
      { packageId: 'unknown', updateAvailable: false, quarantined: false, quarantineReason: null },
    ]);
    const forAdmin = (await t.gql(who.admin, UPDATES, { installed })).body.data.catalogUpdates;
    expect(forAdmin[0]).toEqual({ packageId: 'watched', updateAvailable: true, quarantined: true, quarantineReason: REASON });
    expect(forAdmin[1].quarantined).toBe(false);
  });

  it('is in the audit trail, with the reason for admins only', async () => {
    const who = await people();
    await publish(who.author, 'traced', '1.0.0');
    await t.gql(who.admin, QUARANTINE, { p: 'traced', r: REASON });
    await t.gql(who.admin, RELEASE, { p: 'traced' });
    const trail = async (token: string) =>
      (await t.gql(token, TRAIL, { p: 'traced' })).body.data.catalogAuditEvents.edges.map((edge: any) => edge.node).reverse();
    expect(await trail(who.admin)).toEqual([
      expect.objectContaining({ action: 'PUBLISH' }),
      { action: 'QUARANTINE', actorId: 'admin', changes: { reason: REASON } },
      { action: 'RELEASE', actorId: 'admin', changes: { reason: REASON } },
    ]);
    expect((await trail(who.author)).slice(1)).toEqual([
      { action: 'QUARANTINE', actorId: 'admin', changes: { reason: null } },
      { action: 'RELEASE', actorId: 'admin', changes: { reason: null } },
    ]);
  });

  it('races publishes for real: each publish commits before the quarantine or is refused, never after it', async () => {
    const who = await people();
    await publish(who.author, 'raced', '1.0.0');
    const versions = ['1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6'];
    const [quarantine, ...publishes] = await Promise.all([
      t.gql(who.admin, QUARANTINE, { p: 'raced', r: REASON }),
      ...versions.map((version) => publish(who.author, 'raced', version)),
    ]);
    expect(codeOf(quarantine)).toBe('OK');
    const codes = publishes.map(codeOf);
    for (const code of codes) expect(['OK', 'PACKAGE_QUARANTINED', 'VERSION_REGRESSION']).toContain(code);
    const rows = await t.app.orm.em
      .fork()
      .getConnection()
      .execute<{ version: string; published_at: Date; quarantined_at: Date }[]>(
        `select v.version, v.published_at, p.quarantined_at from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id
         where p.tenant_id = ? and p.package_id = 'raced' and v.version <> '1.0.0'`,
        [who.tenant],
      );
    // Exactly the accepted publishes have rows, all committed before the quarantine.
    expect(rows.length).toBe(codes.filter((code) => code === 'OK').length);
    for (const row of rows) expect(new Date(row.published_at).getTime()).toBeLessThanOrEqual(new Date(row.quarantined_at).getTime());
  });
});
