import { flowOfTypes } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { assertDocumentedResponse } from './support/openapi';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Publish policies (docs/API.md, "Publish policies"), on the real app: tenant admins set and read
 * them, every change is recorded, and a publish through either edge is checked against the
 * content rules of its tenant's policy before anything is written: ENFORCE refuses with
 * POLICY_VIOLATION, DRY_RUN lets it through and says what it broke.
 */

jest.setTimeout(300_000);

const RULES = `allowedNodeTypes { patterns mode } allowedHosts { patterns mode } maxNodes { limit mode }
  requireApproval { mode } explicitPromotion { mode } coolingOffMinutes { minutes mode }`;
const POLICY_FIELDS = `tenantId ${RULES} updatedAt updatedBy`;
const READ = `query R($t: ID) { catalogPublishPolicy(tenantId: $t) { ${POLICY_FIELDS} } }`;
const SET = `mutation S($input: CatalogPublishPolicyInput!, $t: ID) { setCatalogPublishPolicy(input: $input, tenantId: $t) { ${POLICY_FIELDS} } }`;
const CHANGES = `query C($t: ID, $first: Int, $after: String) { catalogPublishPolicy(tenantId: $t) {
  changes(first: $first, after: $after) { edges { cursor node { id actorId actorTenantId from to changedAt } } pageInfo { hasNextPage endCursor } } } }`;
const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) {
  packageId latestVersion policyViolations { rule path message } } }`;
const GET = `query G($p: String!) { catalogPackage(packageId: $p) { packageId policyViolations { rule path message } } }`;
const VERSION = `query V($p: String!) { catalogPackage(packageId: $p) { versions(first: 10) { edges { node { version provenance { statement } } } } } }`;
const INSTALL = `mutation I($p: String!) { installCatalogPackage(packageId: $p) { metadata { version } } }`;
const TRAIL = `query A($p: String!) { catalogAuditEvents(packageId: $p, first: 10) { edges { node { action changes } } } }`;

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
    member: await t.token({ tenant, user: 'member', scopes: 'scaicore:view' }),
    admin: await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] }),
    superAdmin: await t.token({ tenant: uniqueTenant(), user: 'root', roles: ['super_admin'] }),
  };
}

/** http.request at /nodes/1 calls `url`; shell.exec sits at /nodes/2. */
function flow(url = 'https://api.example.com/v1/items', extraTypes: string[] = []) {
  return flowOfTypes(['start', 'http.request', 'shell.exec', ...extraTypes], {
    node: (index) => (index === 1 ? { config: { url, headers: [{ name: 'accept', value: 'application/json' }] } } : {}),
  });
}

async function setPolicy(token: string, input: Record<string, unknown>, tenantId?: string) {
  return t.gql(token, SET, { input, t: tenantId });
}

async function publish(token: string, packageId: string, content: unknown, version = '1.0.0') {
  return t.gql(token, PUBLISH, { input: { packageId, name: packageId, version, content } });
}

async function restPublish(token: string, packageId: string, content: unknown, version = '1.0.0') {
  const path = '/publish';
  const response = await fetch(`${t.url}/api/v1/catalog${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ package_id: packageId, name: packageId, version, content }),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const received = { status: response.status, headers: response.headers, contentType, text, body: text ? JSON.parse(text) : null };
  assertDocumentedResponse('POST', path, received);
  return received;
}

async function versionRows(tenant: string, packageId: string): Promise<number> {
  const rows = await t.app.orm.em
    .fork()
    .getConnection()
    .execute<{ n: number }[]>(
      `select count(*)::int as n from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ? and p.package_id = ?`,
      [tenant, packageId],
    );
  return Number(rows[0]!.n);
}

async function nothingWritten(tenant: string, packageId: string) {
  expect(await versionRows(tenant, packageId)).toBe(0);
  expect(await t.blobNames(`catalog/${tenant}/${packageId}/`)).toEqual([]);
  const packages = await t.app.orm.em
    .fork()
    .getConnection()
    .execute(`select 1 from catalog_package where tenant_id = ? and package_id = ?`, [tenant, packageId]);
  expect(packages).toHaveLength(0);
}

const SUMMARY_FIELDS = [
  'author_email',
  'author_id',
  'created_at',
  'description',
  'name',
  'package_id',
  'tenant_id',
  'updated_at',
  'version',
  'visibility',
  'visibility_group_ids',
].sort();

describe('reading and setting a policy', () => {
  it('a tenant without a policy has the empty one', async () => {
    const { tenant, admin } = await people();
    const res = await t.gql(admin, READ);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.catalogPublishPolicy).toEqual({
      tenantId: tenant,
      allowedNodeTypes: null,
      allowedHosts: null,
      maxNodes: null,
      requireApproval: null,
      explicitPromotion: null,
      coolingOffMinutes: null,
      updatedAt: null,
      updatedBy: null,
    });
  });

  it('an admin sets every rule, reads it back, and the input replaces the whole policy', async () => {
    const { tenant, admin } = await people();
    const full = {
      allowedNodeTypes: { patterns: ['start', 'http.*'], mode: 'ENFORCE' },
      allowedHosts: { patterns: ['*.example.com'], mode: 'DRY_RUN' },
      maxNodes: { limit: 20, mode: 'ENFORCE' },
      requireApproval: { mode: 'ENFORCE' },
      explicitPromotion: { mode: 'DRY_RUN' },
      coolingOffMinutes: { minutes: 60, mode: 'ENFORCE' },
    };
    const set = await setPolicy(admin, full);
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data.setCatalogPublishPolicy).toMatchObject({ tenantId: tenant, ...full, updatedBy: 'admin' });
    expect((await t.gql(admin, READ)).body.data.catalogPublishPolicy).toMatchObject({ ...full, updatedBy: 'admin' });

    const replaced = await setPolicy(admin, { maxNodes: { limit: 5, mode: 'DRY_RUN' } });
    expect(replaced.body.errors).toBeUndefined();
    expect((await t.gql(admin, READ)).body.data.catalogPublishPolicy).toMatchObject({
      allowedNodeTypes: null,
      allowedHosts: null,
      maxNodes: { limit: 5, mode: 'DRY_RUN' },
      requireApproval: null,
      explicitPromotion: null,
      coolingOffMinutes: null,
    });
  });

  it('members and authors are FORBIDDEN to read or set; naming another tenant takes a super admin', async () => {
    const { tenant, author, member, admin, superAdmin } = await people();
    const other = await people();
    const input = { maxNodes: { limit: 3, mode: 'ENFORCE' } };
    for (const token of [author, member]) {
      expect(codeOf(await t.gql(token, READ))).toBe('FORBIDDEN');
      expect(codeOf(await setPolicy(token, input))).toBe('FORBIDDEN');
    }
    // An admin of one tenant is nobody in another.
    expect(codeOf(await t.gql(admin, READ, { t: other.tenant }))).toBe('FORBIDDEN');
    expect(codeOf(await setPolicy(admin, input, other.tenant))).toBe('FORBIDDEN');
    expect(codeOf(await setPolicy(superAdmin, input))).toBe('OK');
    const bySuperAdmin = await setPolicy(superAdmin, input, tenant);
    expect(bySuperAdmin.body.errors).toBeUndefined();
    expect(bySuperAdmin.body.data.setCatalogPublishPolicy).toMatchObject({ tenantId: tenant, maxNodes: { limit: 3, mode: 'ENFORCE' }, updatedBy: 'root' });
    expect((await t.gql(superAdmin, READ, { t: tenant })).body.data.catalogPublishPolicy.maxNodes).toEqual({ limit: 3, mode: 'ENFORCE' });
    expect((await t.gql(admin, READ)).body.data.catalogPublishPolicy.maxNodes).toEqual({ limit: 3, mode: 'ENFORCE' });
    // What the refused callers tried changed nothing (the history holds the super admin's change only).
    const changes = (await t.gql(admin, CHANGES)).body.data.catalogPublishPolicy.changes.edges;
    expect(changes.map((edge: any) => [edge.node.actorId, edge.node.actorTenantId])).toEqual([['root', expect.not.stringMatching(tenant)]]);
    expect(codeOf(await t.gql(admin, READ, { t: 'bad tenant' }))).toBe('BAD_USER_INPUT');
  });

  it('bad input is refused with located problems, and nothing changes', async () => {
    const { admin } = await people();
    const good = { allowedNodeTypes: { patterns: ['start'], mode: 'ENFORCE' } };
    expect(codeOf(await setPolicy(admin, good))).toBe('OK');
    const bad = {
      allowedNodeTypes: { patterns: ['ok.*', '9bad'], mode: 'ENFORCE' },
      allowedHosts: { patterns: ['https://x.com'], mode: 'DRY_RUN' },
      maxNodes: { limit: 0, mode: 'ENFORCE' },
      coolingOffMinutes: { minutes: 20_000, mode: 'ENFORCE' },
    };
    const res = await setPolicy(admin, bad);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.extensions!.problems.map((problem: any) => problem.path)).toEqual([
      '$.input.allowedNodeTypes.patterns[1]',
      '$.input.allowedHosts.patterns[0]',
      '$.input.maxNodes.limit',
      '$.input.coolingOffMinutes.minutes',
    ]);
    const tooMany = await setPolicy(admin, { allowedHosts: { patterns: Array.from({ length: 101 }, (_, i) => `h${i}.example.com`), mode: 'ENFORCE' } });
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    const policy = (await t.gql(admin, READ)).body.data.catalogPublishPolicy;
    expect(policy).toMatchObject({ ...good, allowedHosts: null, maxNodes: null, coolingOffMinutes: null });
    expect((await t.gql(admin, CHANGES)).body.data.catalogPublishPolicy.changes.edges).toHaveLength(1);
  });

  it('records every change: who, when, the rules before and after, newest first, paged', async () => {
    const { admin, superAdmin, tenant } = await people();
    await setPolicy(admin, { maxNodes: { limit: 10, mode: 'DRY_RUN' } });
    await setPolicy(admin, { maxNodes: { limit: 10, mode: 'ENFORCE' }, requireApproval: { mode: 'ENFORCE' } });
    await setPolicy(superAdmin, {}, tenant);
    const first = (await t.gql(admin, CHANGES, { first: 2 })).body.data.catalogPublishPolicy.changes;
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges.map((edge: any) => ({ actorId: edge.node.actorId, from: edge.node.from, to: edge.node.to }))).toEqual([
      { actorId: 'root', from: { maxNodes: { limit: 10, mode: 'enforce' }, requireApproval: { mode: 'enforce' } }, to: {} },
      {
        actorId: 'admin',
        from: { maxNodes: { limit: 10, mode: 'dry_run' } },
        to: { maxNodes: { limit: 10, mode: 'enforce' }, requireApproval: { mode: 'enforce' } },
      },
    ]);
    const rest = (await t.gql(admin, CHANGES, { first: 2, after: first.pageInfo.endCursor })).body.data.catalogPublishPolicy.changes;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(rest.edges.map((edge: any) => [edge.node.actorId, edge.node.from, edge.node.to])).toEqual([
      ['admin', null, { maxNodes: { limit: 10, mode: 'dry_run' } }],
    ]);
    expect(new Date(rest.edges[0].node.changedAt).getTime()).toBeLessThanOrEqual(new Date(first.edges[1].node.changedAt).getTime());
    // Only those who may read the policy read its history.
    const { author } = await people();
    expect(codeOf(await t.gql(author, CHANGES, { t: tenant }))).toBe('FORBIDDEN');
  });

  it('two admins setting at once: both recorded, each with what it replaced, the last one standing', async () => {
    const { admin, tenant } = await people();
    const second = await t.token({ tenant, user: 'admin-2', roles: ['tenant_admin'] });
    const results = await Promise.all([
      setPolicy(admin, { maxNodes: { limit: 1, mode: 'ENFORCE' } }),
      setPolicy(second, { maxNodes: { limit: 2, mode: 'ENFORCE' } }),
    ]);
    expect(results.map(codeOf)).toEqual(['OK', 'OK']);
    const edges = (await t.gql(admin, CHANGES)).body.data.catalogPublishPolicy.changes.edges.map((edge: any) => edge.node);
    expect(edges).toHaveLength(2);
    // Newest first: the later change replaced the earlier one's rules, and the earlier one replaced none.
    expect(edges[1].from).toBeNull();
    expect(edges[0].from).toEqual(edges[1].to);
    expect((await t.gql(admin, READ)).body.data.catalogPublishPolicy.maxNodes).toEqual({ limit: edges[0].to.maxNodes.limit, mode: 'ENFORCE' });
  });
});

describe('at publish', () => {
  const rules = {
    allowedNodeTypes: (mode: string) => ({ allowedNodeTypes: { patterns: ['start', 'http.*'], mode } }),
    allowedHosts: (mode: string) => ({ allowedHosts: { patterns: ['*.internal.example'], mode } }),
    maxNodes: (mode: string) => ({ maxNodes: { limit: 2, mode } }),
  };
  const expected = {
    allowedNodeTypes: [{ rule: 'allowedNodeTypes', path: '/nodes/2/type', message: expect.stringContaining('shell.exec') }],
    allowedHosts: [{ rule: 'allowedHosts', path: '/nodes/1/config/url', message: expect.stringContaining('api.example.com') }],
    maxNodes: [{ rule: 'maxNodes', path: '/nodes', message: expect.stringContaining('3 nodes') }],
  };

  for (const rule of ['allowedNodeTypes', 'allowedHosts', 'maxNodes'] as const) {
    it(`${rule} in ENFORCE: refused on both edges (POLICY_VIOLATION, 422 problem), nothing written`, async () => {
      const { tenant, admin, author } = await people();
      expect(codeOf(await setPolicy(admin, rules[rule]('ENFORCE')))).toBe('OK');
      const refused = await publish(author, `enf-${rule.toLowerCase()}`, flow());
      expect(codeOf(refused)).toBe('POLICY_VIOLATION');
      expect(refused.body.errors![0]!.extensions!.violations).toEqual(expected[rule]);
      await nothingWritten(tenant, `enf-${rule.toLowerCase()}`);

      const rest = await restPublish(author, `enf-rest-${rule.toLowerCase()}`, flow());
      expect(rest.status).toBe(422);
      expect(rest.body).toMatchObject({ code: 'POLICY_VIOLATION', violations: expected[rule] });
      await nothingWritten(tenant, `enf-rest-${rule.toLowerCase()}`);
    });

    it(`${rule} in DRY_RUN: published on both edges, the answer and the audit row carry the violations`, async () => {
      const { admin, author } = await people();
      expect(codeOf(await setPolicy(admin, rules[rule]('DRY_RUN')))).toBe('OK');
      const packageId = `dry-${rule.toLowerCase()}`;
      const published = await publish(author, packageId, flow());
      expect(published.body.errors).toBeUndefined();
      expect(published.body.data.publishCatalogPackage).toEqual({ packageId, latestVersion: '1.0.0', policyViolations: expected[rule] });
      // Every other read: empty.
      expect((await t.gql(author, GET, { p: packageId })).body.data.catalogPackage.policyViolations).toEqual([]);
      const trail = (await t.gql(author, TRAIL, { p: packageId })).body.data.catalogAuditEvents.edges;
      expect(trail[0].node).toMatchObject({ action: 'PUBLISH', changes: { version: '1.0.0', policyViolations: expected[rule] } });
      const statement = (await t.gql(author, VERSION, { p: packageId })).body.data.catalogPackage.versions.edges[0].node.provenance.statement;
      expect(statement.predicate.checks.publishPolicy).toBe(`${rule}:dry_run:violated`);
      // The statement with the policy's record still verifies: installs check it.
      expect((await t.gql(author, INSTALL, { p: packageId })).body.data.installCatalogPackage.metadata.version).toBe('1.0.0');

      const restId = `dry-rest-${rule.toLowerCase()}`;
      const rest = await restPublish(author, restId, flow());
      expect(rest.status).toBe(201);
      expect(Object.keys(rest.body).sort()).toEqual([...SUMMARY_FIELDS, 'policy_violations'].sort());
      expect(rest.body.policy_violations).toEqual(expected[rule]);
    });
  }

  it('a flow that keeps every rule: the REST answer keeps its exact keys, the audit row has no policyViolations, the statement says passed', async () => {
    const { admin, author } = await people();
    const all = { ...rules.allowedNodeTypes('ENFORCE'), ...rules.allowedHosts('DRY_RUN'), maxNodes: { limit: 5, mode: 'ENFORCE' } };
    expect(codeOf(await setPolicy(admin, { ...all, allowedNodeTypes: { patterns: ['start', 'http.*', 'shell.*'], mode: 'ENFORCE' } }))).toBe('OK');
    const clean = flow('https://svc.internal.example/x');
    const rest = await restPublish(author, 'clean-rest', clean);
    expect(rest.status).toBe(201);
    expect(Object.keys(rest.body).sort()).toEqual(SUMMARY_FIELDS);
    const published = await publish(author, 'clean-gql', clean);
    expect(published.body.data.publishCatalogPackage.policyViolations).toEqual([]);
    const trail = (await t.gql(author, TRAIL, { p: 'clean-gql' })).body.data.catalogAuditEvents.edges;
    expect(Object.keys(trail[0].node.changes).sort()).toEqual(['revived', 'sha256', 'sizeBytes', 'sourceFlowId', 'version']);
    const statement = (await t.gql(author, VERSION, { p: 'clean-gql' })).body.data.catalogPackage.versions.edges[0].node.provenance.statement;
    expect(statement.predicate.checks.publishPolicy).toBe('allowedNodeTypes:enforce:passed,allowedHosts:dry_run:passed,maxNodes:enforce:passed');
  });

  it('mixed modes: any ENFORCE violation refuses (listing the enforced ones); DRY_RUN alone passes with all of its violations', async () => {
    const { tenant, admin, author } = await people();
    await setPolicy(admin, { ...rules.allowedNodeTypes('DRY_RUN'), ...rules.allowedHosts('ENFORCE'), ...rules.maxNodes('DRY_RUN') });
    const refused = await publish(author, 'mixed', flow());
    expect(codeOf(refused)).toBe('POLICY_VIOLATION');
    expect(refused.body.errors![0]!.extensions!.violations).toEqual(expected.allowedHosts);
    await nothingWritten(tenant, 'mixed');
    // With an allowed host, only DRY_RUN rules are broken: the publish goes through with both.
    const passed = await publish(author, 'mixed', flow('https://a.internal.example/'));
    expect(passed.body.errors).toBeUndefined();
    expect(passed.body.data.publishCatalogPackage.policyViolations).toEqual([...expected.allowedNodeTypes, ...expected.maxNodes]);
  });

  it('hosts are checked in every http(s) URL anywhere in any node config, each violation at its pointer', async () => {
    const { admin, author } = await people();
    await setPolicy(admin, { allowedHosts: { patterns: ['api.example.com'], mode: 'ENFORCE' } });
    const content = flowOfTypes(['start', 'http.request'], {
      node: (index) =>
        index === 1
          ? { config: { url: 'https://api.example.com/ok', fallbacks: [{ url: 'http://other.test/x' }], 'a/b': 'https://EVIL.test/' } }
          : { config: { note: 'not a url: api.evil.test' } },
    });
    const refused = await publish(author, 'deep-hosts', content);
    expect(refused.body.errors![0]!.extensions!.violations.map((violation: any) => violation.path)).toEqual([
      '/nodes/1/config/fallbacks/0/url',
      '/nodes/1/config/a~1b',
    ]);
  });

  it("tenant isolation: one tenant's policy never applies to another's publishes", async () => {
    const a = await people();
    const b = await people();
    await setPolicy(a.admin, { ...rules.allowedNodeTypes('ENFORCE'), ...rules.maxNodes('ENFORCE') });
    expect(codeOf(await publish(a.author, 'iso', flow()))).toBe('POLICY_VIOLATION');
    const inB = await publish(b.author, 'iso', flow());
    expect(inB.body.errors).toBeUndefined();
    expect(inB.body.data.publishCatalogPackage.policyViolations).toEqual([]);
    // A super admin's own tenant policy is theirs: setting another tenant's leaves their own empty.
    expect((await t.gql(b.admin, READ)).body.data.catalogPublishPolicy.maxNodes).toBeNull();
  });

  it('a policy set after a version was published applies to the next publish, not to what exists', async () => {
    const { admin, author } = await people();
    expect(codeOf(await publish(author, 'later', flow()))).toBe('OK');
    await setPolicy(admin, rules.maxNodes('ENFORCE'));
    const refused = await publish(author, 'later', flow(), '1.0.1');
    expect(codeOf(refused)).toBe('POLICY_VIOLATION');
    expect((await t.gql(author, GET, { p: 'later' })).body.data.catalogPackage).toEqual({ packageId: 'later', policyViolations: [] });
    // Removing the rule lets it through again.
    await setPolicy(admin, {});
    expect(codeOf(await publish(author, 'later', flow(), '1.0.1'))).toBe('OK');
  });
});
