import { flowContent } from './support/flows';
import { auditEventCount, catalogOps, type CatalogOps, type PackageView } from './support/catalog-ops';
import type { TokenSubject } from './support/oidc-issuer';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Every operation × every kind of caller, against the real app over HTTP, with the outcome written
 * out by hand (docs/API.md "Rules" and issue 3). The fixture is one package (id `pkg-N`, fresh per test) in tenant A, authored
 * by `author`, in one of three states: GROUPS [g-red], TENANT, or deleted (it was GROUPS [g-red]).
 */

const A = uniqueTenant('a');
const B = uniqueTenant('b');
const S = uniqueTenant('s');
const VIEW = 'scaicore:view';
const MANAGE = 'scaicore:manage';

interface CallerKind extends Partial<TokenSubject> {
  tenant: string;
  user: string;
  /** Pass `tenantId: A` to the operations that take it (get, install, visibility, delete, audit). */
  tenantArg?: boolean;
}

const CALLER_KINDS = {
  author: { tenant: A, user: 'author' },
  member: { tenant: A, user: 'member' },
  groupMember: { tenant: A, user: 'gm', groups: ['g-red'] },
  nonMember: { tenant: A, user: 'nm', groups: ['g-blue'] },
  otherTenant: { tenant: B, user: 'other', groups: ['g-red'] },
  tenantAdmin: { tenant: A, user: 'admin', roles: ['tenant_admin'] },
  otherTenantAdmin: { tenant: B, user: 'admin-b', roles: ['tenant_admin'] },
  superAdmin: { tenant: A, user: 'root', roles: ['super_admin'] },
  superAdminElsewhere: { tenant: S, user: 'root-s', roles: ['super_admin'], tenantArg: true },
  viewOnly: { tenant: A, user: 'viewer', groups: ['g-red'], scopes: VIEW },
  noView: { tenant: A, user: 'nobody', groups: ['g-red'], scopes: '' },
  authorWithoutView: { tenant: A, user: 'author', scopes: MANAGE },
} satisfies Record<string, CallerKind>;
type CallerName = keyof typeof CALLER_KINDS;
const CALLERS: Record<CallerName, CallerKind> = CALLER_KINDS;

/**
 * ok: succeeded (and did what it says); hidden: absent from the list; null: get / `_entities`
 * resolved to null; own: a publish by someone of another tenant created their own package, and
 * A's package stayed as it was; anything else is the error code.
 */
type Expected = 'ok' | 'hidden' | 'null' | 'own' | 'FORBIDDEN' | 'NOT_FOUND';
const OPERATIONS = ['list', 'get', 'install', 'entities', 'republish', 'visibility', 'delete', 'audit'] as const;
type Operation = (typeof OPERATIONS)[number];
type Row = [Expected, Expected, Expected, Expected, Expected, Expected, Expected, Expected];
type Fixture = 'groups' | 'tenant' | 'deleted';

// Tenant admins are not in g-red, yet they see and manage every live package of their tenant:
// what they may change, they may see (list, get, install, _entities as well).
const TABLE: Record<Fixture, Record<CallerName, Row>> = {
  groups: {
    //                     list         get          install      entities     republish    visibility   delete       audit
    author: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    member: ['hidden', 'null', 'NOT_FOUND', 'null', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    groupMember: ['ok', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    nonMember: ['hidden', 'null', 'NOT_FOUND', 'null', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    otherTenant: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    tenantAdmin: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    otherTenantAdmin: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    superAdmin: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    superAdminElsewhere: ['ok', 'ok', 'ok', 'ok', 'own', 'ok', 'ok', 'ok'],
    viewOnly: ['ok', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    noView: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'null', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    authorWithoutView: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'null', 'ok', 'ok', 'ok', 'FORBIDDEN'],
  },
  tenant: {
    author: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    member: ['ok', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    groupMember: ['ok', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    nonMember: ['ok', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    otherTenant: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    tenantAdmin: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    otherTenantAdmin: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    superAdmin: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    superAdminElsewhere: ['ok', 'ok', 'ok', 'ok', 'own', 'ok', 'ok', 'ok'],
    viewOnly: ['ok', 'ok', 'ok', 'ok', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    noView: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'null', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    authorWithoutView: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'null', 'ok', 'ok', 'ok', 'FORBIDDEN'],
  },
  // Deleted: invisible to everyone; a republish by someone who may change it revives it.
  deleted: {
    author: ['hidden', 'null', 'NOT_FOUND', 'null', 'ok', 'NOT_FOUND', 'NOT_FOUND', 'ok'],
    member: ['hidden', 'null', 'NOT_FOUND', 'null', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    groupMember: ['hidden', 'null', 'NOT_FOUND', 'null', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    nonMember: ['hidden', 'null', 'NOT_FOUND', 'null', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    otherTenant: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    tenantAdmin: ['hidden', 'null', 'NOT_FOUND', 'null', 'ok', 'NOT_FOUND', 'NOT_FOUND', 'ok'],
    otherTenantAdmin: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    superAdmin: ['hidden', 'null', 'NOT_FOUND', 'null', 'ok', 'NOT_FOUND', 'NOT_FOUND', 'ok'],
    superAdminElsewhere: ['hidden', 'null', 'NOT_FOUND', 'null', 'own', 'NOT_FOUND', 'NOT_FOUND', 'ok'],
    viewOnly: ['hidden', 'null', 'NOT_FOUND', 'null', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND'],
    noView: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'null', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    authorWithoutView: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'null', 'ok', 'NOT_FOUND', 'NOT_FOUND', 'FORBIDDEN'],
  },
};

const CHANGES: ReadonlySet<Operation> = new Set(['install', 'republish', 'visibility', 'delete']);

const cases = (Object.keys(TABLE) as Fixture[]).flatMap((fixture) =>
  (Object.keys(TABLE[fixture]) as CallerName[]).flatMap((caller) =>
    OPERATIONS.map((operation, i) => [fixture, caller, operation, TABLE[fixture][caller][i]!] as const),
  ),
);

let t: TestApp;
let ops: CatalogOps;
const tokens = new Map<string, { token: string; at: number }>();

/** Tokens live 5 minutes: each is reused for one minute at most. */
async function tokenOf(who: CallerKind): Promise<string> {
  const key = JSON.stringify(who);
  const cached = tokens.get(key);
  if (cached && Date.now() - cached.at < 60_000) return cached.token;
  const token = await t.token({ groups: [], roles: [], ...who });
  tokens.set(key, { token, at: Date.now() });
  return token;
}

const tokenFor = (name: CallerName) => tokenOf(CALLERS[name]);

/** The package row as stored, whatever its state: what a failed change must leave untouched. */
async function storedRow(tenantId: string, packageId: string) {
  const rows = await t.app.orm.em
    .fork()
    .getConnection()
    .execute<Record<string, unknown>[]>(
      'select latest_version, author_id, visibility, visibility_group_ids, deleted_at from catalog_package where tenant_id = ? and package_id = ?',
      [tenantId, packageId],
    );
  return rows[0] ?? null;
}

async function seed(fixture: Fixture): Promise<PackageView> {
  const author = await tokenFor('author');
  const published = await ops.publish(author, { packageId: PKG, version: '1.0.0' });
  if (!published.ok) throw new Error(`seed publish failed: ${published.message}`);
  if (fixture !== 'tenant') expect((await ops.setVisibility(author, PKG, 'GROUPS', ['g-red'])).ok).toBe(true);
  if (fixture === 'deleted') expect(await ops.delete(author, PKG)).toEqual({ ok: true, data: true });
  return published.data;
}

beforeAll(async () => {
  t = await startTestApp();
  ops = catalogOps(t);
}, 120_000);
afterAll(() => t?.close());
// Blobs outlive a table reset and are never overwritten: every test gets a package id of its own.
let PKG = '';
let testNumber = 0;
beforeEach(async () => {
  await t.reset();
  testNumber += 1;
  PKG = `pkg-${testNumber}`;
});

describe('every operation × every caller', () => {
  test.each(cases)('%s package: %s → %s is %s', async (fixture, callerName, operation, expected) => {
    const pkg = await seed(fixture);
    const caller: CallerKind = CALLERS[callerName];
    const token = await tokenFor(callerName);
    const tenantId = caller.tenantArg ? A : undefined;
    const rowBefore = await storedRow(A, PKG);
    const auditBefore = await auditEventCount(t);

    const expectError = (result: { ok: boolean; code?: string }) => expect(result).toMatchObject({ ok: false, code: expected });

    switch (operation) {
      case 'list': {
        const result = await ops.listAll(token);
        if (expected === 'FORBIDDEN') expectError(result);
        else expect(result.ok && result.data.some((p) => p.id === pkg.id)).toBe(expected === 'ok');
        break;
      }
      case 'get': {
        const result = await ops.get(token, PKG, tenantId);
        if (expected === 'FORBIDDEN') expectError(result);
        else expect(result).toMatchObject({ ok: true, data: expected === 'ok' ? { id: pkg.id, tenantId: A } : null });
        break;
      }
      case 'install': {
        const result = await ops.install(token, PKG, { tenantId });
        if (expected !== 'ok') expectError(result);
        else expect(result).toMatchObject({ ok: true, data: { metadata: { packageId: PKG, version: '1.0.0' }, flow: { name: 'Copy of A flow' } } });
        break;
      }
      case 'entities': {
        const result = await ops.entities(token, [pkg.id]);
        expect(result).toMatchObject({ ok: true, data: [expected === 'ok' ? { id: pkg.id } : null] });
        break;
      }
      case 'republish': {
        const result = await ops.publish(token, { packageId: PKG, version: '1.0.0' });
        if (expected === 'ok') {
          // The same version again: patch bump; author and visibility are kept (a deleted one is revived).
          expect(result).toMatchObject({ ok: true, data: { id: pkg.id, version: '1.0.1', authorId: 'author' } });
          expect(await storedRow(A, PKG)).toMatchObject({
            latest_version: '1.0.1',
            author_id: 'author',
            visibility: rowBefore!.visibility,
            visibility_group_ids: rowBefore!.visibility_group_ids,
            deleted_at: null,
          });
        } else if (expected === 'own') {
          expect(result).toMatchObject({ ok: true, data: { tenantId: caller.tenant, authorId: caller.user, version: '1.0.0', visibility: 'TENANT' } });
          expect(result.ok && result.data.id).not.toBe(pkg.id);
          expect(await storedRow(A, PKG)).toEqual(rowBefore);
        } else expectError(result);
        break;
      }
      case 'visibility': {
        // GROUPS → TENANT clears the groups; TENANT → GROUPS drops duplicate group ids.
        const toGroups = fixture === 'tenant';
        const result = toGroups
          ? await ops.setVisibility(token, PKG, 'GROUPS', ['g-blue', 'g-blue', 'g-green'], tenantId)
          : await ops.setVisibility(token, PKG, 'TENANT', null, tenantId);
        if (expected !== 'ok') expectError(result);
        else {
          const groups = toGroups ? ['g-blue', 'g-green'] : [];
          expect(result).toMatchObject({ ok: true, data: { id: pkg.id, visibility: toGroups ? 'GROUPS' : 'TENANT', visibilityGroupIds: groups } });
          expect(await storedRow(A, PKG)).toMatchObject({ visibility: toGroups ? 'groups' : 'tenant', visibility_group_ids: groups });
        }
        break;
      }
      case 'delete': {
        const result = await ops.delete(token, PKG, tenantId);
        if (expected !== 'ok') expectError(result);
        else {
          expect(result).toEqual({ ok: true, data: true });
          expect(await ops.get(await tokenFor('author'), PKG)).toEqual({ ok: true, data: null });
          expect((await storedRow(A, PKG))!.deleted_at).not.toBeNull();
        }
        break;
      }
      case 'audit': {
        const result = await ops.auditEvents(token, PKG, tenantId);
        if (expected !== 'ok') expectError(result);
        else {
          const actions = result.ok ? result.data.edges.map((e) => e.node.action).sort() : [];
          expect(actions).toEqual({ groups: ['PUBLISH', 'VISIBILITY'], tenant: ['PUBLISH'], deleted: ['DELETE', 'PUBLISH', 'VISIBILITY'] }[fixture]);
        }
        break;
      }
    }

    // Exactly one audit event per successful change or install; none for reads and failures.
    const succeeded = expected === 'ok' || expected === 'own';
    expect((await auditEventCount(t)) - auditBefore).toBe(CHANGES.has(operation) && succeeded ? 1 : 0);
    // Reads, installs, failures and other tenants' publishes leave A's package exactly as it was.
    if (!(expected === 'ok' && CHANGES.has(operation) && operation !== 'install')) expect(await storedRow(A, PKG)).toEqual(rowBefore);
  });
});

describe('field-level rules', () => {
  // [caller, fixture, visibilityGroupIds readable, authorEmail readable]
  test.each([
    ['author', 'groups', true, true],
    ['groupMember', 'groups', false, true],
    ['viewOnly', 'groups', false, true],
    ['member', 'tenant', false, true],
    ['nonMember', 'tenant', false, true],
    ['tenantAdmin', 'tenant', true, true],
    ['superAdmin', 'groups', true, true],
    ['superAdminElsewhere', 'groups', true, true],
  ] as const)('%s reading a %s package: visibilityGroupIds %s, authorEmail %s', async (callerName, fixture, groupIds, email) => {
    const pkg = await seed(fixture);
    const token = await tokenFor(callerName);
    const tenantId = CALLERS[callerName].tenantArg ? A : undefined;
    const expected = {
      id: pkg.id,
      visibilityGroupIds: groupIds ? (fixture === 'groups' ? ['g-red'] : []) : null,
      authorEmail: email ? 'author@example.test' : null,
    };
    const get = await ops.get(token, PKG, tenantId);
    const list = await ops.listAll(token);
    const entities = await ops.entities(token, [pkg.id]);
    const install = await ops.install(token, PKG, { tenantId });
    expect(get).toMatchObject({ ok: true, data: expected });
    expect(list.ok && list.data.find((p) => p.id === pkg.id)).toMatchObject(expected);
    expect(entities).toMatchObject({ ok: true, data: [expected] });
    expect(install).toMatchObject({ ok: true, data: { metadata: { authorEmail: expected.authorEmail } } });
  });

  it('applies to the result of a mutation too: a republish by an admin shows the groups, a visibility change by the author as well', async () => {
    await seed('groups');
    const republished = await ops.publish(await tokenFor('superAdmin'), { packageId: PKG, version: '2.0.0' });
    expect(republished).toMatchObject({ ok: true, data: { version: '2.0.0', visibilityGroupIds: ['g-red'], authorEmail: 'author@example.test' } });
    const changed = await ops.setVisibility(await tokenFor('author'), PKG, 'GROUPS', ['g-red', 'g-blue']);
    expect(changed).toMatchObject({ ok: true, data: { visibilityGroupIds: ['g-red', 'g-blue'] } });
    // g-red members still see the package, but not who else it is shared with.
    expect(await ops.get(await tokenFor('groupMember'), PKG)).toMatchObject({ ok: true, data: { visibilityGroupIds: null } });
  });
});

describe('acting in another tenant (tenantId argument)', () => {
  type TenantOperation = 'get' | 'install' | 'visibility' | 'delete' | 'audit';
  const run = (op: TenantOperation, token: string, tenantId?: string) => {
    switch (op) {
      case 'get':
        return ops.get(token, PKG, tenantId);
      case 'install':
        return ops.install(token, PKG, { tenantId });
      case 'visibility':
        return ops.setVisibility(token, PKG, 'TENANT', null, tenantId);
      case 'delete':
        return ops.delete(token, PKG, tenantId);
      case 'audit':
        return ops.auditEvents(token, PKG, tenantId);
    }
  };
  const ALL: TenantOperation[] = ['get', 'install', 'visibility', 'delete', 'audit'];
  const who = {
    'a member of B naming A': [CALLERS.otherTenant, A],
    'a tenant admin of B naming A': [CALLERS.otherTenantAdmin, A],
    'the author naming another tenant': [CALLERS.author, B],
    'a tenant admin of A naming a tenant that does not exist': [CALLERS.tenantAdmin, 'no-such-tenant'],
  } as const;

  // Refused before anything is looked up, whether or not the package exists there.
  test.each(ALL.flatMap((op) => Object.keys(who).map((name) => [op, name as keyof typeof who] as const)))('%s by %s is FORBIDDEN', async (op, name) => {
    await seed('tenant');
    const [caller, tenantId] = who[name];
    const before = await auditEventCount(t);
    expect(await run(op, await tokenOf(caller), tenantId)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(await auditEventCount(t)).toBe(before);
  });

  test.each(ALL)("%s by a super admin of another tenant without tenantId looks in the caller's own tenant", async (op) => {
    await seed('tenant');
    const result = await run(op, await tokenFor('superAdminElsewhere'));
    if (op === 'get') expect(result).toEqual({ ok: true, data: null });
    else expect(result).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  test.each(ALL)("%s naming the caller's own tenant is the same as not naming it", async (op) => {
    await seed('tenant');
    expect(await run(op, await tokenFor('author'), A)).toMatchObject({ ok: true });
  });

  it('a super admin lists the packages of every tenant', async () => {
    await seed('groups');
    const other = await ops.publish(await tokenFor('otherTenant'), { packageId: PKG, version: '3.0.0' });
    const listed = await ops.listAll(await tokenFor('superAdminElsewhere'));
    expect(listed.ok && listed.data.map((p) => `${p.tenantId}/${p.version}`).sort()).toEqual([`${A}/1.0.0`, `${B}/3.0.0`]);
    const byB = await ops.listAll(await tokenFor('otherTenant'));
    expect(byB.ok && byB.data.map((p) => p.id)).toEqual([other.ok && other.data.id]);
  });
});

describe('audit trail', () => {
  it('every change writes exactly one audit event; a failed change writes none', async () => {
    const author = await tokenFor('author');
    const steps: [string, () => Promise<{ ok: boolean; code?: string }>, 'ok' | string][] = [
      ['publish', () => ops.publish(author, { packageId: PKG, version: '1.0.0' }), 'ok'],
      ['republish (auto-bump)', () => ops.publish(author, { packageId: PKG, version: '1.0.0' }), 'ok'],
      ['republish by a tenant member', async () => ops.publish(await tokenFor('member'), { packageId: PKG, version: '9.0.0' }), 'FORBIDDEN'],
      ['lower version', () => ops.publish(author, { packageId: PKG, version: '0.9.0' }), 'VERSION_REGRESSION'],
      ['flow that does not compile', () => ops.publish(author, { packageId: PKG, version: '5.0.0', content: { nodes: [] } }), 'FLOW_COMPILE_FAILED'],
      ['invalid version', () => ops.publish(author, { packageId: PKG, version: 'v5' }), 'BAD_USER_INPUT'],
      ['GROUPS without groups', () => ops.setVisibility(author, PKG, 'GROUPS', []), 'BAD_USER_INPUT'],
      ['GROUPS with an invalid group id', () => ops.setVisibility(author, PKG, 'GROUPS', ['bad group!']), 'BAD_USER_INPUT'],
      ['visibility by a tenant member', async () => ops.setVisibility(await tokenFor('member'), PKG, 'TENANT'), 'FORBIDDEN'],
      ['visibility', () => ops.setVisibility(author, PKG, 'GROUPS', ['g-red']), 'ok'],
      ['visibility by a non-member', async () => ops.setVisibility(await tokenFor('nonMember'), PKG, 'TENANT'), 'NOT_FOUND'],
      ['install', async () => ops.install(await tokenFor('groupMember'), PKG), 'ok'],
      ['install of an old version', async () => ops.install(await tokenFor('groupMember'), PKG, { version: '1.0.0' }), 'ok'],
      ['install of an unknown version', async () => ops.install(await tokenFor('groupMember'), PKG, { version: '7.7.7' }), 'NOT_FOUND'],
      ['install without view', async () => ops.install(await tokenFor('noView'), PKG), 'FORBIDDEN'],
      ['delete by a view-only caller', async () => ops.delete(await tokenFor('viewOnly'), PKG), 'FORBIDDEN'],
      ['delete by a group member', async () => ops.delete(await tokenFor('groupMember'), PKG), 'FORBIDDEN'],
      ['delete', () => ops.delete(author, PKG), 'ok'],
      ['delete again', () => ops.delete(author, PKG), 'NOT_FOUND'],
      ['install of a deleted package', () => ops.install(author, PKG), 'NOT_FOUND'],
      ['revive at a lower version', () => ops.publish(author, { packageId: PKG, version: '0.9.9' }), 'VERSION_REGRESSION'],
      ['revive with the last version', () => ops.publish(author, { packageId: PKG, version: '1.0.1' }), 'ok'],
    ];
    let expectedCount = 0;
    for (const [name, step, expected] of steps) {
      const result = await step();
      expect({ name, result: result.ok ? 'ok' : result.code }).toEqual({ name, result: expected });
      if (expected === 'ok') expectedCount += 1;
      expect({ name, count: await auditEventCount(t) }).toEqual({ name, count: expectedCount });
    }
    expect(expectedCount).toBe(7);

    const trail = await ops.auditEvents(author, PKG);
    expect(trail.ok && trail.data.edges.map((e) => `${e.node.action} ${e.node.version} ${e.node.actorId}`).sort()).toEqual([
      'DELETE 1.0.1 author',
      'INSTALL 1.0.0 gm',
      'INSTALL 1.0.1 gm',
      'PUBLISH 1.0.0 author',
      'PUBLISH 1.0.1 author',
      'PUBLISH 1.0.2 author',
      'VISIBILITY 1.0.1 author',
    ]);
    // Revived: author and last visibility kept, version above the last one.
    expect(await ops.get(await tokenFor('groupMember'), PKG)).toMatchObject({ ok: true, data: { version: '1.0.2', authorId: 'author', visibility: 'GROUPS' } });
  });
});

describe('_entities', () => {
  it('resolves only the visible ones of visible, invisible, deleted, other-tenant, unknown and malformed ids, in one query', async () => {
    const author = await tokenFor('author');
    const publish = async (token: string, packageId: string) => {
      const result = await ops.publish(token, { packageId, version: '1.0.0', content: flowContent(packageId) });
      if (!result.ok) throw new Error(result.message);
      return result.data.id;
    };
    const visible1 = await publish(author, 'visible-1');
    const visible2 = await publish(author, 'visible-2');
    const groupOnly = await publish(author, 'group-only');
    expect((await ops.setVisibility(author, 'group-only', 'GROUPS', ['g-red'])).ok).toBe(true);
    const deleted = await publish(author, 'deleted');
    expect((await ops.delete(author, 'deleted')).ok).toBe(true);
    const otherTenant = await publish(await tokenFor('otherTenant'), 'elsewhere');
    const unknown = '00000000-0000-4000-8000-000000000000';

    const ids = [visible1, groupOnly, deleted, otherTenant, unknown, 'not-a-uuid', visible2, visible1];
    t.sqlLog.length = 0;
    const result = await ops.entities(await tokenFor('member'), ids);
    const packageQueries = t.sqlLog.filter((sql) => /\bcatalog_package\b/.test(sql));
    expect(result).toMatchObject({ ok: true, data: [{ id: visible1 }, null, null, null, null, null, { id: visible2 }, { id: visible1 }] });
    expect(packageQueries).toHaveLength(1);

    // The group member sees the group package too, still in one query; the super admin sees all but the deleted one.
    t.sqlLog.length = 0;
    const byGroupMember = await ops.entities(await tokenFor('groupMember'), ids);
    expect(byGroupMember.ok && byGroupMember.data.map((p) => p?.packageId ?? null)).toEqual([
      'visible-1',
      'group-only',
      null,
      null,
      null,
      null,
      'visible-2',
      'visible-1',
    ]);
    expect(t.sqlLog.filter((sql) => /\bcatalog_package\b/.test(sql))).toHaveLength(1);
    const bySuperAdmin = await ops.entities(await tokenFor('superAdminElsewhere'), ids);
    expect(bySuperAdmin.ok && bySuperAdmin.data.map((p) => p?.packageId ?? null)).toEqual([
      'visible-1',
      'group-only',
      null,
      'elsewhere',
      null,
      null,
      'visible-2',
      'visible-1',
    ]);

    // The natural key (`tenantId packageId`) follows the same rule: one more query for that key form.
    const keys = [
      { tenantId: A, packageId: 'visible-1' },
      { tenantId: A, packageId: 'group-only' },
      { tenantId: A, packageId: 'deleted' },
      { tenantId: B, packageId: 'elsewhere' },
      { tenantId: A, packageId: 'never-published' },
      { tenantId: A, packageId: 'Not A Slug' },
    ];
    t.sqlLog.length = 0;
    const mixed = await ops.entities(await tokenFor('member'), [...keys, ...ids]);
    expect(mixed.ok && mixed.data.map((p) => p?.packageId ?? null)).toEqual([
      'visible-1',
      null,
      null,
      null,
      null,
      null,
      'visible-1',
      null,
      null,
      null,
      null,
      null,
      'visible-2',
      'visible-1',
    ]);
    expect(t.sqlLog.filter((sql) => /\bcatalog_package\b/.test(sql))).toHaveLength(2);

    // Without the view permission: every entity is null, and the database is not asked at all.
    t.sqlLog.length = 0;
    expect(await ops.entities(await tokenFor('noView'), [...keys, ...ids])).toEqual({ ok: true, data: [...keys, ...ids].map(() => null) });
    expect(t.sqlLog.filter((sql) => /\bcatalog_package\b/.test(sql))).toHaveLength(0);
  });
});
