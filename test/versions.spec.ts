import fc from 'fast-check';
import { createOrm } from '../src/infra/db/orm';
import { defaultVersion } from '../src/modules/package/default-version';
import { versionSortKey } from '../src/modules/package/version-sort-key';
import { createTestDatabase } from './support/database';
import type { VersionStatus, VersionStatusAction } from '../src/modules/package/version-status';
import { compareVersions } from '../src/modules/package/versioning';
import { flowContent, flowOfTypes } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Versions that evolve (docs/API.md "Version status, default version, updates and diffs"), on the
 * real app: the status state machine, the default version on every read path, catalogUpdates in
 * one statement, diffs from the archives and the lineage install returns.
 */

jest.setTimeout(300_000);

const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { packageId version } }`;
const VERSION_FIELDS = 'version status statusReason changelog nodeTypes installCount';
const STATUS_MUTATIONS: Record<VersionStatusAction, string> = {
  deprecate: `mutation D($p: String!, $v: String!, $r: String!, $t: ID) { r: deprecateCatalogPackageVersion(packageId: $p, version: $v, reason: $r, tenantId: $t) { ${VERSION_FIELDS} } }`,
  withdraw: `mutation W($p: String!, $v: String!, $r: String!, $t: ID) { r: withdrawCatalogPackageVersion(packageId: $p, version: $v, reason: $r, tenantId: $t) { ${VERSION_FIELDS} } }`,
  restore: `mutation R($p: String!, $v: String!, $t: ID) { r: restoreCatalogPackageVersion(packageId: $p, version: $v, tenantId: $t) { ${VERSION_FIELDS} } }`,
};
const GET = `query G($p: String!) { catalogPackage(packageId: $p) { version } }`;
const BOTH_VERSIONS = 'version defaultVersion latestVersion highestVersion';
const GET_BOTH = `query G($p: String!) { catalogPackage(packageId: $p) { ${BOTH_VERSIONS} } }`;
const INSTALL = `mutation I($p: String!, $v: String, $t: ID) { installCatalogPackage(packageId: $p, version: $v, tenantId: $t) {
  flow metadata { tenantId packageId name version sha256 authorEmail deprecation { reason } } } }`;
const UPDATES = `query U($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) {
  packageId installedVersion latestVersion suggestedVersion updateAvailable installedStatus newerVersions { version changelog status } } }`;
const DIFF = `query D($p: String!, $from: String!, $to: String!) { catalogPackageDiff(packageId: $p, from: $from, to: $to) {
  from to nodesAdded nodesRemoved nodesChanged { nodeId before after changedPaths } edgesAdded edgesRemoved } }`;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';

async function publish(token: string, packageId: string, version: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await t.gql(token, PUBLISH, { input: { packageId, name: packageId, version, content: flowContent(), ...extra } });
  expect(res.body.errors).toBeUndefined();
}

function changeStatus(token: string, action: VersionStatusAction, packageId: string, version: string, tenantId?: string) {
  return t.gql(token, STATUS_MUTATIONS[action], { p: packageId, v: version, r: `because ${action}`, t: tenantId });
}

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return t.app.orm.em.fork().getConnection().execute<T[]>(query, params);
}

/** The people of one tenant, and two outsiders. */
async function people() {
  const tenant = uniqueTenant();
  const other = uniqueTenant();
  return {
    tenant,
    author: await t.token({ tenant, user: 'author' }),
    member: await t.token({ tenant, user: 'member' }),
    tenantAdmin: await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] }),
    otherTenant: await t.token({ tenant: other, user: 'outsider' }),
    superAdmin: await t.token({ tenant: other, user: 'root', roles: ['super_admin'] }),
  };
}

/** The statuses a publish and the three status actions reach (staging has its own tests). */
type PublishedStatus = Exclude<VersionStatus, 'staged' | 'rejected'>;
const NEXT: Record<PublishedStatus, Partial<Record<VersionStatusAction, VersionStatus>>> = {
  active: { deprecate: 'deprecated', withdraw: 'withdrawn' },
  deprecated: { withdraw: 'withdrawn', restore: 'active' },
  withdrawn: { restore: 'active' },
};
const SETUP: Record<PublishedStatus, VersionStatusAction | null> = { active: null, deprecated: 'deprecate', withdrawn: 'withdraw' };
const CALLERS = ['author', 'member', 'tenantAdmin', 'otherTenant', 'superAdmin'] as const;

describe('the status of a version', () => {
  const cases = (['deprecate', 'withdraw', 'restore'] as const).flatMap((action) =>
    (['active', 'deprecated', 'withdrawn'] as const).flatMap((state) => CALLERS.map((caller) => [action, state, caller] as const)),
  );

  it.each(cases)('%s on a %s version by %s', async (action, state, caller) => {
    const who = await people();
    await publish(who.author, 'pkg', '1.0.0');
    await publish(who.author, 'pkg', '1.1.0');
    if (SETUP[state]) expect(codeOf(await changeStatus(who.author, SETUP[state], 'pkg', '1.1.0'))).toBe('OK');
    const before = await sql(`select count(*)::int as n from catalog_audit_event where tenant_id = ? and action in ('deprecate', 'withdraw', 'restore')`, [
      who.tenant,
    ]);

    const res = await changeStatus(who[caller], action, 'pkg', '1.1.0', caller === 'superAdmin' ? who.tenant : undefined);

    const next = NEXT[state][action];
    const expected = caller === 'member' ? 'FORBIDDEN' : caller === 'otherTenant' ? 'NOT_FOUND' : next ? 'OK' : 'ILLEGAL_STATE';
    expect(codeOf(res)).toBe(expected);
    const [row] = await sql<{ status: string; status_reason: string | null }>(
      `select v.status, v.status_reason from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id
       where p.tenant_id = ? and v.version = '1.1.0'`,
      [who.tenant],
    );
    const audit = await sql<{ action: string; changes: unknown }>(
      `select action, changes from catalog_audit_event where tenant_id = ? and action in ('deprecate', 'withdraw', 'restore') order by occurred_at`,
      [who.tenant],
    );
    if (expected === 'OK') {
      expect(res.body.data.r).toMatchObject({ version: '1.1.0', status: next!.toUpperCase(), statusReason: action === 'restore' ? null : `because ${action}` });
      expect(row!.status).toBe(next);
      expect(audit).toHaveLength(Number(before[0]!.n) + 1);
      const last = audit.at(-1)!;
      expect(last.action).toBe(action);
      const changes = typeof last.changes === 'string' ? JSON.parse(last.changes) : last.changes;
      expect(changes).toMatchObject({ from: state, to: next, reason: action === 'restore' ? null : `because ${action}` });
    } else {
      expect(row!.status).toBe(state);
      expect(audit).toHaveLength(Number(before[0]!.n));
    }
  });

  it('refuses a blank or too long reason, and an unknown version', async () => {
    const who = await people();
    await publish(who.author, 'pkg', '1.0.0');
    const blank = await t.gql(who.author, STATUS_MUTATIONS.deprecate, { p: 'pkg', v: '1.0.0', r: '   ' });
    expect(codeOf(blank)).toBe('BAD_USER_INPUT');
    const long = await t.gql(who.author, STATUS_MUTATIONS.deprecate, { p: 'pkg', v: '1.0.0', r: 'x'.repeat(501) });
    expect(codeOf(long)).toBe('BAD_USER_INPUT');
    expect(codeOf(await changeStatus(who.author, 'withdraw', 'pkg', '9.9.9'))).toBe('NOT_FOUND');
  });
});

const VERSION_POOL = ['0.9.0', '1.0.0', '1.2.0', '1.10.0', '2.0.0-alpha', '2.0.0-rc.1', '2.0.0-rc.10', '2.0.0', '3.0.0-beta.2'];

describe('the default version', () => {
  it('is the highest installable release, else prerelease, else none: on GraphQL, REST list and install', async () => {
    const arbitrary = fc.uniqueArray(
      fc.record({ version: fc.constantFrom(...VERSION_POOL), status: fc.constantFrom<PublishedStatus>('active', 'deprecated', 'withdrawn') }),
      { minLength: 1, maxLength: 5, selector: (entry) => entry.version },
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (entries) => {
        const who = await people();
        const sorted = [...entries].sort((a, b) => compareVersions(a.version, b.version));
        for (const { version } of sorted) await publish(who.author, 'pkg', version);
        for (const { version, status } of sorted) {
          if (SETUP[status]) expect(codeOf(await changeStatus(who.author, SETUP[status], 'pkg', version))).toBe('OK');
        }
        const expected = defaultVersion(entries);

        const get = await t.gql(who.member, GET, { p: 'pkg' });
        expect(get.body.data.catalogPackage?.version ?? null).toBe(expected);
        const author = await t.gql(who.author, GET, { p: 'pkg' });
        expect(author.body.data.catalogPackage.version).toBe(expected ?? sorted.at(-1)!.version);
        const both = await t.gql(who.author, GET_BOTH, { p: 'pkg' });
        expect(both.body.data.catalogPackage).toEqual({
          version: expected ?? sorted.at(-1)!.version,
          defaultVersion: expected ?? sorted.at(-1)!.version,
          latestVersion: sorted.at(-1)!.version,
          highestVersion: sorted.at(-1)!.version,
        });

        const list = await fetch(`${t.url}/api/v1/catalog`, { headers: { authorization: `Bearer ${who.member}` } });
        const summaries = (await list.json()) as { package_id: string; version: string }[];
        expect(summaries.map((s) => s.version)).toEqual(expected === null ? [] : [expected]);

        const install = await t.gql(who.member, INSTALL, { p: 'pkg' });
        if (expected === null) expect(codeOf(install)).toBe('NOT_FOUND');
        else expect(install.body.data.installCatalogPackage.metadata.version).toBe(expected);
      }),
      { numRuns: 15 },
    );
  });
});

describe('defaultVersion and highestVersion', () => {
  it('are version and latestVersion under their plain names, on get, list and _entities, also when the two differ', async () => {
    const who = await people();
    // Default 1.0.0 (1.1.0 withdrawn, 2.0.0-rc.1 a prerelease); highest 2.0.0-rc.1.
    await publish(who.author, 'pkg', '1.0.0');
    await publish(who.author, 'pkg', '1.1.0');
    await publish(who.author, 'pkg', '2.0.0-rc.1');
    expect(codeOf(await changeStatus(who.author, 'withdraw', 'pkg', '1.1.0'))).toBe('OK');
    const expected = { version: '1.0.0', defaultVersion: '1.0.0', latestVersion: '2.0.0-rc.1', highestVersion: '2.0.0-rc.1' };

    expect((await t.gql(who.member, GET_BOTH, { p: 'pkg' })).body.data.catalogPackage).toEqual(expected);
    const list = await t.gql(who.member, `{ catalogPackages(first: 5) { edges { node { packageId ${BOTH_VERSIONS} } } } }`);
    expect(list.body.data.catalogPackages.edges).toEqual([{ node: { packageId: 'pkg', ...expected } }]);
    const entities = await t.gql(who.member, `query E($r: [_Any!]!) { _entities(representations: $r) { ... on CatalogPackage { ${BOTH_VERSIONS} } } }`, {
      r: [{ __typename: 'CatalogPackage', tenantId: who.tenant, packageId: 'pkg' }],
    });
    expect(entities.body.data._entities).toEqual([expected]);

    // Withdrawing the prerelease leaves it the highest version; restoring 1.1.0 moves only the default.
    expect(codeOf(await changeStatus(who.author, 'withdraw', 'pkg', '2.0.0-rc.1'))).toBe('OK');
    expect(codeOf(await changeStatus(who.author, 'restore', 'pkg', '1.1.0'))).toBe('OK');
    expect((await t.gql(who.member, GET_BOTH, { p: 'pkg' })).body.data.catalogPackage).toEqual({
      version: '1.1.0',
      defaultVersion: '1.1.0',
      latestVersion: '2.0.0-rc.1',
      highestVersion: '2.0.0-rc.1',
    });
  });
});

describe('catalogUpdates', () => {
  it('answers 500 installed copies in order with one SQL statement; invisible, unknown and withdrawn mixed in', async () => {
    const who = await people();
    await publish(who.author, 'visible', '1.0.0');
    await publish(who.author, 'visible', '1.1.0', { changelog: 'Fixes the greeting' });
    await publish(who.author, 'visible', '2.0.0-rc.1');
    await publish(who.author, 'pulled', '1.0.0');
    await publish(who.author, 'pulled', '1.0.1');
    expect(codeOf(await changeStatus(who.author, 'withdraw', 'pulled', '1.0.0'))).toBe('OK');
    const elsewhere = uniqueTenant();
    await publish(await t.token({ tenant: elsewhere, user: 'x' }), 'secret', '1.0.0');
    await publish(await t.token({ tenant: elsewhere, user: 'x' }), 'secret', '2.0.0');

    const kinds = [
      { packageId: 'visible', version: '1.0.0' },
      { packageId: 'pulled', version: '1.0.0' },
      { packageId: 'secret', version: '1.0.0', tenantId: elsewhere },
      { packageId: 'nowhere', version: '1.0.0' },
      { packageId: 'visible', version: '2.0.0-rc.1' },
    ];
    const installed = Array.from({ length: 500 }, (_, i) => kinds[i % kinds.length]!);
    t.sqlLog.length = 0;
    const res = await t.gql(who.member, UPDATES, { installed });
    // Every statement of the request but the rate limiter's (database-backed on PostgreSQL).
    const statements = t.sqlLog.filter((sql) => !sql.includes('rate_limit_counter'));
    expect(res.body.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    const answers = res.body.data.catalogUpdates as any[];
    expect(answers).toHaveLength(500);
    expect(answers.map((a) => a.packageId)).toEqual(installed.map((copy) => copy.packageId));
    expect(answers[0]).toEqual({
      packageId: 'visible',
      installedVersion: '1.0.0',
      latestVersion: '1.1.0',
      suggestedVersion: '1.1.0',
      updateAvailable: true,
      installedStatus: 'ACTIVE',
      newerVersions: [{ version: '1.1.0', changelog: 'Fixes the greeting', status: 'ACTIVE' }],
    });
    // suggestedVersion is latestVersion under its plain name: for every copy (release, prerelease, unknown).
    for (const answer of answers) expect(answer.suggestedVersion).toBe(answer.latestVersion);
    expect(answers[1]).toMatchObject({ latestVersion: '1.0.1', suggestedVersion: '1.0.1', updateAvailable: true, installedStatus: 'WITHDRAWN' });
    const unknown = { latestVersion: null, suggestedVersion: null, updateAvailable: false, installedStatus: null, newerVersions: [] };
    expect(answers[2]).toMatchObject(unknown);
    expect(answers[3]).toMatchObject(unknown);
    // A copy at a prerelease is suggested the highest installable version, a release copy (answers[0]) the default.
    expect(answers[4]).toMatchObject({ latestVersion: '2.0.0-rc.1', suggestedVersion: '2.0.0-rc.1', updateAvailable: false, installedStatus: 'ACTIVE' });
  });

  it('refuses more than 500 copies', async () => {
    const who = await people();
    const installed = Array.from({ length: 501 }, () => ({ packageId: 'a', version: '1.0.0' }));
    expect(codeOf(await t.gql(who.member, UPDATES, { installed }))).toBe('BAD_USER_INPUT');
  });
});

describe('catalogPackageDiff', () => {
  it('gives empty lists for identical versions, and a changed node with the pointers of its changed fields', async () => {
    const who = await people();
    const flow = flowOfTypes(['start', 'llm'], { node: (i) => ({ config: { labels: ['a', 'b'], i } }) });
    await publish(who.author, 'pkg', '1.0.0', { content: flow });
    await publish(who.author, 'pkg', '1.0.1', { content: flow });
    const changed = flowOfTypes(['start', 'llm', 'end'], { node: (i) => ({ config: { labels: ['a', i === 1 ? 'c' : 'b'], i } }) });
    await publish(who.author, 'pkg', '1.1.0', { content: changed });

    const same = await t.gql(who.member, DIFF, { p: 'pkg', from: '1.0.0', to: '1.0.1' });
    expect(same.body.data.catalogPackageDiff).toEqual({
      from: '1.0.0',
      to: '1.0.1',
      nodesAdded: [],
      nodesRemoved: [],
      nodesChanged: [],
      edgesAdded: [],
      edgesRemoved: [],
    });
    const diff = (await t.gql(who.member, DIFF, { p: 'pkg', from: '1.0.0', to: '1.1.0' })).body.data.catalogPackageDiff;
    expect(diff.nodesChanged).toEqual([expect.objectContaining({ nodeId: 'node-1', changedPaths: ['/config/labels/1'] })]);
    expect(diff.nodesAdded).toEqual([expect.objectContaining({ id: 'node-2', type: 'end' })]);
    expect(diff.edgesAdded).toEqual([expect.objectContaining({ source: 'node-1', target: 'node-2' })]);
    expect(diff.nodesRemoved).toEqual([]);
    expect(codeOf(await t.gql(who.member, DIFF, { p: 'pkg', from: '1.0.0', to: '9.0.0' }))).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(who.otherTenant, DIFF, { p: 'pkg', from: '1.0.0', to: '1.1.0' }))).toBe('NOT_FOUND');
  });
});

describe('catalogPackageDiff of a withdrawn version', () => {
  it('is VERSION_WITHDRAWN (REST-style 410) for a member; its author and admins get the diff', async () => {
    const who = await people();
    await publish(who.author, 'pulled', '1.0.0');
    await publish(who.author, 'pulled', '1.1.0', { content: flowOfTypes(['start', 'llm']) });
    await publish(who.author, 'pulled', '1.2.0');
    expect(codeOf(await changeStatus(who.author, 'withdraw', 'pulled', '1.1.0'))).toBe('OK');
    const diff = (token: string, from: string, to: string) =>
      t.gql(
        token,
        'query($p: String!, $f: String!, $to: String!, $t: ID) { catalogPackageDiff(packageId: $p, from: $f, to: $to, tenantId: $t) { from to nodesAdded } }',
        {
          p: 'pulled',
          f: from,
          to,
          t: who.tenant,
        },
      );

    for (const [from, to] of [
      ['1.0.0', '1.1.0'],
      ['1.1.0', '1.2.0'],
      ['1.1.0', '1.1.0'],
    ]) {
      const refused = await diff(who.member, from!, to!);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('VERSION_WITHDRAWN');
      expect(refused.body.errors?.[0]?.message).toMatch(/1\.1\.0 of pulled was withdrawn: because withdraw/);
      expect(refused.body.data).toBeNull();
    }
    // Versions that are not withdrawn still compare for everyone who sees the package.
    expect((await diff(who.member, '1.0.0', '1.2.0')).body.data?.catalogPackageDiff).toMatchObject({ from: '1.0.0', to: '1.2.0' });
    for (const token of [who.author, who.tenantAdmin, who.superAdmin]) {
      expect((await diff(token, '1.0.0', '1.1.0')).body.data?.catalogPackageDiff).toEqual({
        from: '1.0.0',
        to: '1.1.0',
        nodesAdded: [expect.objectContaining({ id: 'node-1' })],
      });
    }
    // Restored, it is served again.
    expect(codeOf(await changeStatus(who.author, 'restore', 'pulled', '1.1.0'))).toBe('OK');
    expect(codeOf(await diff(who.member, '1.0.0', '1.1.0'))).toBe('OK');
  });
});

describe('install', () => {
  it('returns the lineage on both edges, says why a deprecated version is, refuses a withdrawn one (REST 410), counts per version', async () => {
    const who = await people();
    await publish(who.author, 'pkg', '1.0.0', { changelog: 'First' });
    await publish(who.author, 'pkg', '1.1.0');
    expect(codeOf(await changeStatus(who.author, 'deprecate', 'pkg', '1.1.0'))).toBe('OK');
    expect(codeOf(await changeStatus(who.author, 'withdraw', 'pkg', '1.0.0'))).toBe('OK');
    const [row] = await sql<{ sha256: string }>(
      `select v.sha256 from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ? and v.version = '1.1.0'`,
      [who.tenant],
    );

    const gql = await t.gql(who.member, INSTALL, { p: 'pkg' });
    expect(gql.body.data.installCatalogPackage.metadata).toEqual({
      tenantId: who.tenant,
      packageId: 'pkg',
      name: 'pkg',
      version: '1.1.0',
      sha256: row!.sha256,
      authorEmail: expect.any(String),
      deprecation: { reason: 'because deprecate' },
    });
    const rest = await fetch(`${t.url}/api/v1/catalog/pkg/install`, { headers: { authorization: `Bearer ${who.member}` } });
    expect(((await rest.json()) as any).metadata).toEqual({
      tenant_id: who.tenant,
      package_id: 'pkg',
      name: 'pkg',
      version: '1.1.0',
      sha256: row!.sha256,
      author_email: expect.any(String),
      deprecation: { reason: 'because deprecate' },
    });

    expect(codeOf(await t.gql(who.member, INSTALL, { p: 'pkg', v: '1.0.0' }))).toBe('VERSION_WITHDRAWN');
    const gone = await fetch(`${t.url}/api/v1/catalog/pkg/install?version=1.0.0`, { headers: { authorization: `Bearer ${who.member}` } });
    expect(gone.status).toBe(410);

    const versions = await t.gql(who.author, `query { catalogPackage(packageId: "pkg") { installCount versions { edges { node { ${VERSION_FIELDS} } } } } }`);
    expect(versions.body.data.catalogPackage.installCount).toBe(2);
    expect(versions.body.data.catalogPackage.versions.edges.map((e: any) => e.node)).toEqual([
      { version: '1.1.0', status: 'DEPRECATED', statusReason: 'because deprecate', changelog: null, nodeTypes: ['start'], installCount: 2 },
      { version: '1.0.0', status: 'WITHDRAWN', statusReason: 'because withdraw', changelog: 'First', nodeTypes: ['start'], installCount: 0 },
    ]);
  });
});

describe('the version status migration', () => {
  it('computes the sort key of existing versions and their package default version', async () => {
    const database = await createTestDatabase();
    const orm = await createOrm(database.config);
    try {
      await orm.migrator.up({ to: 'Migration20261130141500_tenant_usage' });
      const execute = (query: string) => orm.em.fork().getConnection().execute(query);
      await execute(`insert into catalog_package (id, tenant_id, package_id, name, latest_version, author_id, visibility, created_at, updated_at)
        values ('00000000-0000-4000-8000-000000000001', 't', 'p', 'p', '2.0.0-rc.1', 'a', 'tenant', now(), now())`);
      const versions = ['1.2.0', '1.10.0', '2.0.0-rc.1'];
      for (const [i, version] of versions.entries()) {
        await execute(`insert into catalog_package_version (id, catalog_package_id, version, sha256, size_bytes, blob_name, publisher_id, published_at)
          values ('00000000-0000-4000-8000-00000000010${i}', '00000000-0000-4000-8000-000000000001', '${version}', 'x', 1, 'b${i}', 'a', now())`);
      }
      await orm.migrator.up();
      const rows = (await execute(`select version, version_sort, status, install_count from catalog_package_version order by version`)) as any[];
      expect(rows.map((row) => [row.version, row.version_sort, row.status, Number(row.install_count)])).toEqual(
        [...versions].sort().map((version) => [version, versionSortKey(version), 'active', 0]),
      );
      const [pkg] = (await execute(`select default_version from catalog_package`)) as any[];
      expect(pkg.default_version).toBe('1.10.0');
    } finally {
      await orm.close();
      await database.drop();
    }
  });
});
