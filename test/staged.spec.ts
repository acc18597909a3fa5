import { flowContent } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Staged publishing (docs/API.md, "Staged publishing"), on the real app: a staged version exists
 * for its author and reviewers only, on every path; a second person approves or rejects it; of
 * concurrent approvals exactly one wins.
 */

jest.setTimeout(300_000);

const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version highestVersion name readme tags } }`;
const APPROVE = `mutation A($p: String!, $v: String!, $t: ID) { approveCatalogPackageVersion(packageId: $p, version: $v, tenantId: $t) { version status statusReason } }`;
const REJECT = `mutation R($p: String!, $v: String!, $r: String!) { rejectCatalogPackageVersion(packageId: $p, version: $v, reason: $r) { version status statusReason } }`;
const GET = `query G($p: String!) { catalogPackage(packageId: $p) { version highestVersion name readme tags revision versions(first: 50) { edges { node { version status } } } } }`;
const LIST = `query L { catalogPackages(first: 10) { edges { node { packageId highestVersion versions(first: 10) { edges { node { version } } } } } } }`;
const ENTITIES = `query E($reps: [_Any!]!) { _entities(representations: $reps) { ... on CatalogPackage { packageId highestVersion latestVersion } } }`;
const INSTALL = `mutation I($p: String!, $v: String) { installCatalogPackage(packageId: $p, version: $v) { metadata { version } } }`;
const CHECK = `query C($p: String!, $v: String) { catalogInstallCheck(packageId: $p, version: $v, environment: { nodeTypes: [], credentials: [] }) { version } }`;
const DIFF = `query D($p: String!, $from: String!, $to: String!) { catalogPackageDiff(packageId: $p, from: $from, to: $to) { from to } }`;
const UPDATES = `query U($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) { updateAvailable installedStatus suggestedVersion newerVersions { version } } }`;
const UPGRADE = `query G($input: CatalogUpgradeInput!) { catalogUpgradePreview(input: $input) { state } }`;

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
    approver: await t.token({ tenant, user: 'approver', scopes: 'scaicore:view scaicore:manage scaicore:approve' }),
    otherApprover: await t.token({ tenant, user: 'approver-2', scopes: 'scaicore:view scaicore:approve' }),
    admin: await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] }),
    foreignApprover: await t.token({ tenant: uniqueTenant(), user: 'far', scopes: 'scaicore:view scaicore:approve' }),
  };
}

async function publish(token: string, packageId: string, version: string, extra: Record<string, unknown> = {}) {
  return t.gql(token, PUBLISH, {
    input: { packageId, name: `${packageId} ${version}`, readme: `readme of ${version}`, version, content: flowContent(), ...extra },
  });
}

const versionsOf = (res: GqlResponse<any>) => res.body.data.catalogPackage.versions.edges.map((edge: any) => edge.node.version);

describe('staged publishing', () => {
  it('hides a staged version from members on every path, and shows it to its author and reviewers', async () => {
    const who = await people();
    expect(codeOf(await publish(who.author, 'flow', '1.0.0', { tags: ['old'] }))).toBe('OK');
    const staged = await publish(who.author, 'flow', '2.0.0', { stage: true, tags: ['new'] });
    // The publisher sees the staged version as the highest; the default and the texts do not move.
    expect(staged.body.data.publishCatalogPackage).toEqual({
      packageId: 'flow',
      version: '1.0.0',
      highestVersion: '2.0.0',
      name: 'flow 1.0.0',
      readme: 'readme of 1.0.0',
      tags: ['old'],
    });

    const forMember = await t.gql(who.member, GET, { p: 'flow' });
    expect(forMember.body.data.catalogPackage).toMatchObject({ version: '1.0.0', highestVersion: '1.0.0', name: 'flow 1.0.0', tags: ['old'] });
    expect(versionsOf(forMember)).toEqual(['1.0.0']);
    const listed = (await t.gql(who.member, LIST)).body.data.catalogPackages.edges.map((edge: any) => edge.node);
    expect(listed).toEqual([{ packageId: 'flow', highestVersion: '1.0.0', versions: { edges: [{ node: { version: '1.0.0' } }] } }]);
    const entities = await t.gql(who.member, ENTITIES, { reps: [{ __typename: 'CatalogPackage', tenantId: who.tenant, packageId: 'flow' }] });
    expect(entities.body.data._entities).toEqual([{ packageId: 'flow', highestVersion: '1.0.0', latestVersion: '1.0.0' }]);
    expect(codeOf(await t.gql(who.member, INSTALL, { p: 'flow', v: '2.0.0' }))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(who.member, CHECK, { p: 'flow', v: '2.0.0' }))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(who.member, DIFF, { p: 'flow', from: '1.0.0', to: '2.0.0' }))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(who.member, UPGRADE, { input: { packageId: 'flow', fromVersion: '1.0.0', toVersion: '2.0.0', copy: flowContent() } }))).toBe(
      'NOT_FOUND',
    );
    // Update checks offer nothing, and say nothing of a copy that claims the staged version.
    const updates = await t.gql(who.member, UPDATES, {
      installed: [
        { packageId: 'flow', version: '1.0.0' },
        { packageId: 'flow', version: '2.0.0' },
      ],
    });
    expect(updates.body.data.catalogUpdates).toEqual([
      { updateAvailable: false, installedStatus: 'ACTIVE', suggestedVersion: '1.0.0', newerVersions: [] },
      { updateAvailable: false, installedStatus: null, suggestedVersion: '1.0.0', newerVersions: [] },
    ]);
    // A plain install still gets the default version.
    expect((await t.gql(who.member, INSTALL, { p: 'flow' })).body.data.installCatalogPackage.metadata.version).toBe('1.0.0');

    for (const token of [who.author, who.approver, who.admin]) {
      const seen = await t.gql(token, GET, { p: 'flow' });
      expect(seen.body.data.catalogPackage.highestVersion).toBe('2.0.0');
      expect(seen.body.data.catalogPackage.versions.edges.map((edge: any) => edge.node)).toEqual([
        { version: '2.0.0', status: 'STAGED' },
        { version: '1.0.0', status: 'ACTIVE' },
      ]);
      expect((await t.gql(token, DIFF, { p: 'flow', from: '1.0.0', to: '2.0.0' })).body.data.catalogPackageDiff).toEqual({ from: '1.0.0', to: '2.0.0' });
    }
    // Reviewers may try it before approving.
    expect((await t.gql(who.approver, INSTALL, { p: 'flow', v: '2.0.0' })).body.data.installCatalogPackage.metadata.version).toBe('2.0.0');
  });

  it('is approved by someone else than its publisher, and then is for everyone, with the texts it was published with', async () => {
    const who = await people();
    await publish(who.author, 'reviewed', '1.0.0');
    await publish(who.author, 'reviewed', '1.1.0', { stage: true, tags: ['fresh'] });
    expect(codeOf(await t.gql(who.author, APPROVE, { p: 'reviewed', v: '1.1.0' }))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(who.member, APPROVE, { p: 'reviewed', v: '1.1.0' }))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(who.foreignApprover, APPROVE, { p: 'reviewed', v: '1.1.0', t: who.tenant }))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(who.approver, APPROVE, { p: 'reviewed', v: '1.0.0' }))).toBe('ILLEGAL_STATE');
    expect(codeOf(await t.gql(who.approver, APPROVE, { p: 'reviewed', v: '9.9.9' }))).toBe('NOT_FOUND');

    const approved = await t.gql(who.otherApprover, APPROVE, { p: 'reviewed', v: '1.1.0' });
    expect(approved.body.data.approveCatalogPackageVersion).toEqual({ version: '1.1.0', status: 'ACTIVE', statusReason: null });
    const forMember = await t.gql(who.member, GET, { p: 'reviewed' });
    expect(forMember.body.data.catalogPackage).toMatchObject({
      version: '1.1.0',
      highestVersion: '1.1.0',
      name: 'reviewed 1.1.0',
      readme: 'readme of 1.1.0',
      tags: ['fresh'],
    });
    expect((await t.gql(who.member, INSTALL, { p: 'reviewed' })).body.data.installCatalogPackage.metadata.version).toBe('1.1.0');
    expect(codeOf(await t.gql(who.approver, APPROVE, { p: 'reviewed', v: '1.1.0' }))).toBe('ILLEGAL_STATE');
  });

  it('is approved onto a channel: another channel leaves the default where it was, stable makes it the default', async () => {
    const who = await people();
    const APPROVE_ON = `mutation A($p: String!, $v: String!, $c: String) { approveCatalogPackageVersion(packageId: $p, version: $v, channel: $c) { version status } }`;
    const CHANNELS = `query C($p: String!) { catalogPackage(packageId: $p) { version channels { name version } } }`;
    await publish(who.author, 'tracked', '1.0.0');
    await publish(who.author, 'tracked', '2.0.0', { stage: true });
    expect(codeOf(await t.gql(who.approver, APPROVE_ON, { p: 'tracked', v: '2.0.0', c: '1.x' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(who.approver, APPROVE_ON, { p: 'tracked', v: '2.0.0', c: 'beta' }))).toBe('OK');
    expect((await t.gql(who.member, CHANNELS, { p: 'tracked' })).body.data.catalogPackage).toEqual({
      version: '1.0.0',
      channels: [
        { name: 'stable', version: '1.0.0' },
        { name: 'beta', version: '2.0.0' },
      ],
    });
    expect((await t.gql(who.member, INSTALL, { p: 'tracked' })).body.data.installCatalogPackage.metadata.version).toBe('1.0.0');

    await publish(who.author, 'tracked', '3.0.0', { stage: true });
    expect(codeOf(await t.gql(who.approver, APPROVE_ON, { p: 'tracked', v: '3.0.0', c: 'stable' }))).toBe('OK');
    expect((await t.gql(who.member, CHANNELS, { p: 'tracked' })).body.data.catalogPackage.version).toBe('3.0.0');
  });

  it('is rejected with a reason, kept for the record, never installable, and its number never reused', async () => {
    const who = await people();
    await publish(who.author, 'refused', '1.0.0');
    await publish(who.author, 'refused', '1.1.0', { stage: true });
    expect(codeOf(await t.gql(who.admin, REJECT, { p: 'refused', v: '1.1.0', r: ' ' }))).toBe('BAD_USER_INPUT');
    const rejected = await t.gql(who.admin, REJECT, { p: 'refused', v: '1.1.0', r: 'calls an unknown host' });
    expect(rejected.body.data.rejectCatalogPackageVersion).toEqual({ version: '1.1.0', status: 'REJECTED', statusReason: 'calls an unknown host' });
    expect(codeOf(await t.gql(who.author, INSTALL, { p: 'refused', v: '1.1.0' }))).toBe('ILLEGAL_STATE');
    expect(codeOf(await t.gql(who.member, INSTALL, { p: 'refused', v: '1.1.0' }))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(who.admin, APPROVE, { p: 'refused', v: '1.1.0' }))).toBe('ILLEGAL_STATE');
    expect(versionsOf(await t.gql(who.member, GET, { p: 'refused' }))).toEqual(['1.0.0']);
    // Version planning counts staged and rejected versions: a republish of 1.1.0 is bumped past it.
    const next = await publish(who.author, 'refused', '1.1.0');
    expect(next.body.data.publishCatalogPackage.highestVersion).toBe('1.1.1');
    expect(codeOf(await publish(who.author, 'refused', '1.0.5'))).toBe('VERSION_REGRESSION');
  });

  it('keeps a package whose only version is staged from members, and shows it to approvers', async () => {
    const who = await people();
    await publish(who.author, 'brand-new', '0.1.0', { stage: true });
    expect((await t.gql(who.member, GET, { p: 'brand-new' })).body.data.catalogPackage).toBeNull();
    expect(codeOf(await t.gql(who.member, INSTALL, { p: 'brand-new' }))).toBe('NOT_FOUND');
    expect(versionsOf(await t.gql(who.otherApprover, GET, { p: 'brand-new' }))).toEqual(['0.1.0']);
    expect(codeOf(await t.gql(who.otherApprover, APPROVE, { p: 'brand-new', v: '0.1.0' }))).toBe('OK');
    expect((await t.gql(who.member, GET, { p: 'brand-new' })).body.data.catalogPackage).toMatchObject({ version: '0.1.0', highestVersion: '0.1.0' });
  });

  it('stages every publish of a tenant whose policy enforces requireApproval, and reports it under DRY_RUN', async () => {
    const who = await people();
    const SET = `mutation S($input: CatalogPublishPolicyInput!) { setCatalogPublishPolicy(input: $input) { requireApproval { mode } } }`;
    const PUBLISH_REPORTED = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version highestVersion policyViolations { rule } } }`;
    const input = (version: string, extra: Record<string, unknown> = {}) => ({
      input: { packageId: 'governed', name: 'governed', version, content: flowContent(), ...extra },
    });
    expect(codeOf(await t.gql(who.admin, SET, { input: { requireApproval: { mode: 'DRY_RUN' } } }))).toBe('OK');
    const reported = await t.gql(who.author, PUBLISH_REPORTED, input('1.0.0'));
    expect(reported.body.data.publishCatalogPackage).toEqual({ version: '1.0.0', highestVersion: '1.0.0', policyViolations: [{ rule: 'requireApproval' }] });

    expect(codeOf(await t.gql(who.admin, SET, { input: { requireApproval: { mode: 'ENFORCE' } } }))).toBe('OK');
    const staged = await t.gql(who.author, PUBLISH_REPORTED, input('1.1.0'));
    expect(staged.body.data.publishCatalogPackage).toEqual({ version: '1.0.0', highestVersion: '1.1.0', policyViolations: [] });
    expect((await t.gql(who.admin, GET, { p: 'governed' })).body.data.catalogPackage.versions.edges[0].node).toEqual({ version: '1.1.0', status: 'STAGED' });
    expect(codeOf(await t.gql(who.author, PUBLISH_REPORTED, input('1.2.0', { channel: 'beta' })))).toBe('BAD_USER_INPUT');
    expect(codeOf(await t.gql(who.approver, APPROVE, { p: 'governed', v: '1.1.0' }))).toBe('OK');
    expect((await t.gql(who.member, GET, { p: 'governed' })).body.data.catalogPackage.version).toBe('1.1.0');
  });

  it('of concurrent approvals and rejections of one staged version, exactly one wins (raced for real)', async () => {
    const who = await people();
    await publish(who.author, 'contested', '1.0.0');
    for (let round = 1; round <= 4; round += 1) {
      const version = `1.${round}.0`;
      expect(codeOf(await publish(who.author, 'contested', version, { stage: true }))).toBe('OK');
      const attempts = await Promise.all([
        t.gql(who.approver, APPROVE, { p: 'contested', v: version }),
        t.gql(who.otherApprover, APPROVE, { p: 'contested', v: version }),
        t.gql(who.admin, APPROVE, { p: 'contested', v: version }),
        t.gql(who.admin, REJECT, { p: 'contested', v: version, r: 'too late?' }),
      ]);
      const codes = attempts.map(codeOf);
      expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
      expect(codes.filter((code) => code !== 'OK')).toEqual(['ILLEGAL_STATE', 'ILLEGAL_STATE', 'ILLEGAL_STATE']);
      const rows = await t.app.orm.em
        .fork()
        .getConnection()
        .execute<{ action: string }[]>(
          `select a.action from catalog_audit_event a join catalog_package p on p.id = a.catalog_package_id
           where p.tenant_id = ? and p.package_id = 'contested' and a.version = ? and a.action in ('approve', 'reject')`,
          [who.tenant, version],
        );
      expect(rows).toHaveLength(1);
    }
  });
});
