import { PERMISSION_MANAGE, PERMISSION_VIEW, ROLE_SUPER_ADMIN, ROLE_TENANT_ADMIN, type Caller } from '../src/common/caller';
import { catalogOps } from './support/catalog-ops';
import { startTestApp, uniqueTenant, ALL_SCOPES, type TestApp } from './support/test-app';

/**
 * What the use cases hand to both edges is already redacted for the caller: every read of
 * versions, update checks, status changes and audit events is driven here with every kind of
 * caller, and each answer holds exactly the fields of its view (never a publisher's email or an
 * archive's blob name, which stay inside the package module), or nothing at all for a caller who
 * does not see the package. The GraphQL types are tied to the same views by the compiler
 * (`GRAPHQL_TYPES_MATCH_VIEWS`), so these are also the most the schema can expose.
 */
const VERSION_VIEW_FIELDS = [
  'changelog',
  'id',
  'installCount',
  'nodeTypes',
  'provenance',
  'publishedAt',
  'publisherId',
  'requirements',
  'sha256',
  'sizeBytes',
  'status',
  'statusReason',
  'version',
];
const AUDIT_VIEW_FIELDS = ['action', 'actorEmail', 'actorId', 'actorTenantId', 'changes', 'id', 'occurredAt', 'version'];
const PUBLISHER_EMAIL = 'publisher.secret@example.test';

describe('answers hold only what the caller may see', () => {
  let t: TestApp;
  const tenant = uniqueTenant('red');
  const other = uniqueTenant('red-other');
  let packageUuid: string;

  const caller = (tenantId: string, userId: string, extra: Partial<Pick<Caller, 'groups'>> & { roles?: string[]; permissions?: string[] } = {}): Caller => ({
    tenantId,
    userId,
    email: `${userId}@example.test`,
    groups: extra.groups ?? [],
    permissions: new Set(extra.permissions ?? [PERMISSION_VIEW, PERMISSION_MANAGE]),
    roles: new Set(extra.roles ?? []),
  });
  const callers: Record<string, { who: Caller; sees: boolean; manages: boolean }> = {
    author: { who: caller(tenant, 'publisher'), sees: true, manages: true },
    member: { who: caller(tenant, 'member'), sees: true, manages: false },
    'view-only member': { who: caller(tenant, 'viewer', { permissions: [PERMISSION_VIEW] }), sees: true, manages: false },
    'tenant admin': { who: caller(tenant, 'admin', { roles: [ROLE_TENANT_ADMIN] }), sees: true, manages: true },
    'super admin of another tenant': { who: caller(other, 'root', { roles: [ROLE_SUPER_ADMIN] }), sees: true, manages: true },
    'member of another tenant': { who: caller(other, 'stranger'), sees: false, manages: false },
    'admin of another tenant': { who: caller(other, 'other-admin', { roles: [ROLE_TENANT_ADMIN] }), sees: false, manages: false },
  };

  beforeAll(async () => {
    t = await startTestApp();
    const ops = catalogOps(t);
    const publisher = await t.token({ tenant, user: 'publisher', email: PUBLISHER_EMAIL, scopes: ALL_SCOPES });
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      const published = await ops.publish(publisher, { packageId: 'redacted', version });
      expect(published.ok).toBe(true);
      if (published.ok) packageUuid = published.data.id;
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectOnlyViewFields = (answers: object[], fields: string[]) => {
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expect(Object.keys(answer).sort()).toEqual(fields);
    expect(JSON.stringify(answers)).not.toContain(PUBLISHER_EMAIL);
    // Where the archive is kept (its blob name) never shows; the provenance names the archive's file only.
    expect(JSON.stringify(answers)).not.toContain(`catalog/${tenant}/`);
    expect(JSON.stringify(answers)).not.toMatch(/\/v\d+\.\d+\.\d+\.scaipkg/);
  };

  it.each(Object.keys(callers))('versions, first pages and update checks, as the %s', async (name) => {
    const { who, sees } = callers[name]!;
    const { catalog } = t.app;
    const pkg = await catalog.getPackage(who, 'redacted', { tenantId: who.tenantId === tenant ? undefined : tenant }).catch(() => null);
    if (!sees) {
      expect(pkg).toBeNull();
      const updates = await catalog.checkUpdates(who, [{ packageId: 'redacted', version: '1.0.0', tenantId: tenant }]);
      expect(updates).toEqual([expect.objectContaining({ latestVersion: null, newerVersions: [] })]);
      return;
    }
    expect(pkg).not.toBeNull();
    const page = await catalog.listVersions(pkg!, { first: 10 });
    expectOnlyViewFields(
      page.edges.map((edge) => edge.node),
      VERSION_VIEW_FIELDS,
    );
    expect(page.edges.map((edge) => edge.node.version)).toEqual(['2.0.0', '1.1.0', '1.0.0']);
    const firstPages = await catalog.listFirstVersionsOfPackages([packageUuid], 2);
    expectOnlyViewFields(
      firstPages.get(packageUuid)!.edges.map((edge) => edge.node),
      VERSION_VIEW_FIELDS,
    );
    const [update] = await catalog.checkUpdates(who, [{ packageId: 'redacted', version: '1.0.0', tenantId: tenant }]);
    expect(update!.latestVersion).toBe('2.0.0');
    expectOnlyViewFields(update!.newerVersions, VERSION_VIEW_FIELDS);
  });

  it.each(Object.keys(callers))('status changes and the audit trail, as the %s', async (name) => {
    const { who, manages } = callers[name]!;
    const { catalog } = t.app;
    const target = { version: '1.1.0', reason: 'superseded', tenantId: tenant };
    if (!manages) {
      await expect(catalog.deprecateVersion(who, 'redacted', target)).rejects.toMatchObject({
        extensions: { code: expect.stringMatching(/^(NOT_FOUND|FORBIDDEN)$/) },
      });
      await expect(catalog.listAuditEvents(who, 'redacted', { tenantId: tenant })).rejects.toMatchObject({
        extensions: { code: expect.stringMatching(/^(NOT_FOUND|FORBIDDEN)$/) },
      });
      return;
    }
    const deprecated = await catalog.deprecateVersion(who, 'redacted', target);
    expectOnlyViewFields([deprecated], VERSION_VIEW_FIELDS);
    expect(deprecated).toMatchObject({ version: '1.1.0', status: 'deprecated', statusReason: 'superseded' });
    const restored = await catalog.restoreVersion(who, 'redacted', { version: '1.1.0', tenantId: tenant });
    expectOnlyViewFields([restored], VERSION_VIEW_FIELDS);
    const trail = await catalog.listAuditEvents(who, 'redacted', { tenantId: tenant, first: 50 });
    const events = trail.edges.map((edge) => edge.node);
    for (const event of events) expect(Object.keys(event).sort()).toEqual(AUDIT_VIEW_FIELDS);
    expect(events.map((event) => event.action)).toEqual(expect.arrayContaining(['publish', 'deprecate', 'restore']));
  });
});
