import { catalogOps, type Outcome, type PackageView } from './support/catalog-ops';
import { flowContent } from './support/flows';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * GraphQL and REST only translate: for the same caller and package they give the same answer
 * (after renaming), on every operation both edges have. A table over callers × operations.
 */
let t: TestApp;
let tenant: string;
const ops = () => catalogOps(t);

const CALLERS = {
  author: { user: 'author', groups: [] as string[] },
  member: { user: 'member', groups: [] as string[] },
  groupMember: { user: 'red', groups: ['g-red'] },
  tenantAdmin: { user: 'admin', groups: [] as string[], roles: ['tenant_admin'] },
  viewOnly: { user: 'viewer', groups: ['g-red'], scopes: 'scaicore:view' },
  noView: { user: 'manager', groups: [] as string[], scopes: 'scaicore:manage' },
  otherTenant: { user: 'stranger', groups: ['g-red'], otherTenant: true },
  superAdmin: { user: 'root', groups: [] as string[], roles: ['super_admin'], otherTenant: true },
} as const;
type CallerName = keyof typeof CALLERS;

async function tokenOf(name: CallerName): Promise<string> {
  const { otherTenant, ...who } = CALLERS[name] as { otherTenant?: boolean; user: string; groups: string[] };
  return t.token({ ...who, tenant: otherTenant ? `${tenant}-x` : tenant });
}

/** A REST call: status and parsed body. */
async function rest(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${t.url}/api/v1/catalog${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A GraphQL package as the REST summary names it (hidden group ids are `[]` on REST). */
function asSummary(pkg: PackageView) {
  return {
    package_id: pkg.packageId,
    tenant_id: pkg.tenantId,
    name: pkg.name,
    version: pkg.version,
    author_id: pkg.authorId,
    author_email: pkg.authorEmail ?? null,
    visibility: String(pkg.visibility).toLowerCase(),
    visibility_group_ids: pkg.visibilityGroupIds ?? [],
  };
}

function restSummary(summary: any) {
  const { package_id, tenant_id, name, version, author_id, author_email, visibility, visibility_group_ids } = summary;
  return { package_id, tenant_id, name, version, author_id, author_email, visibility, visibility_group_ids };
}

/** Either edge's answer reduced to what both must agree on: an error code, or the data renamed. */
function fromGraphql<T>(outcome: Outcome<T>, map: (data: T) => unknown): unknown {
  return outcome.ok ? { ok: map(outcome.data) } : { code: outcome.code };
}
function fromRest(response: { status: number; body: any }, map: (body: any) => unknown): unknown {
  return response.status < 300 ? { ok: map(response.body) } : { code: response.body.code };
}

/** Two identical packages per case, one changed through each edge. */
async function fixture(label: string, visibility: 'TENANT' | 'GROUPS'): Promise<[string, string]> {
  const author = await tokenOf('author');
  const ids: [string, string] = [`${label}-gql`, `${label}-rest`];
  for (const packageId of ids) {
    const published = await ops().publish(author, { packageId, version: '1.0.0', content: flowContent(packageId) });
    expect(published.ok).toBe(true);
    if (visibility === 'GROUPS') expect((await ops().setVisibility(author, packageId, 'GROUPS', ['g-red'])).ok).toBe(true);
  }
  return ids;
}

beforeAll(async () => {
  t = await startTestApp();
  tenant = uniqueTenant();
}, 120_000);
afterAll(() => t?.close());

const cases = (Object.keys(CALLERS) as CallerName[]).flatMap((caller) => (['TENANT', 'GROUPS'] as const).map((visibility) => [caller, visibility] as const));

describe.each(cases)('%s on a %s package', (caller, visibility) => {
  const label = `${caller.toLowerCase()}-${visibility.toLowerCase()}`;

  it('list, install, visibility change and delete answer the same on both edges', async () => {
    const [viaGraphql, viaRest] = await fixture(label, visibility);
    const token = await tokenOf(caller);
    const same = (id: string) => (name: string) => name.replace(id, '<id>');

    // List: the fixture packages this caller sees, renamed.
    const listed = await ops().listAll(token, 100);
    const restListed = await rest('GET', '/', token);
    const pick = (id: string) => (all: PackageView[]) =>
      all.filter((pkg) => pkg.packageId === id).map((pkg) => ({ ...asSummary(pkg), package_id: '<id>', name: '<id>' }));
    const pickRest = (id: string) => (all: any[]) =>
      all.filter((s) => s.package_id === id).map((s) => ({ ...restSummary(s), package_id: '<id>', name: '<id>' }));
    expect(fromRest(restListed, pickRest(viaRest))).toEqual(fromGraphql(listed, pick(viaGraphql)));

    // Install: the same outcome, the same metadata and flow (up to the fresh id and the name).
    const installed = await ops().install(token, viaGraphql);
    const restInstalled = await rest('GET', `/${viaRest}/install`, token);
    const installShape = (flowName: string, metadata: { name: string; version: string; author_email: string | null }) => ({
      flowName: same(viaGraphql)(same(viaRest)(flowName)),
      version: metadata.version,
      author_email: metadata.author_email,
    });
    expect(fromRest(restInstalled, (body) => installShape(body.flow.name, body.metadata))).toEqual(
      fromGraphql(installed, (data) =>
        installShape(String(data.flow.name), { name: data.metadata.name, version: data.metadata.version, author_email: data.metadata.authorEmail ?? null }),
      ),
    );

    // Visibility change: the same code, or the same summary after the change.
    const changed = await ops().setVisibility(token, viaGraphql, 'GROUPS', ['g-blue']);
    const restChanged = await rest('PATCH', `/${viaRest}/visibility`, token, { visibility: 'groups', visibility_group_ids: ['g-blue'] });
    expect(fromRest(restChanged, (body) => ({ ...restSummary(body), package_id: '<id>', name: '<id>' }))).toEqual(
      fromGraphql(changed, (data) => ({ ...asSummary(data), package_id: '<id>', name: '<id>' })),
    );

    // Delete: the same code (or success on both).
    const deleted = await ops().delete(token, viaGraphql);
    const restDeleted = await rest('DELETE', `/${viaRest}`, token);
    expect(fromRest(restDeleted, () => true)).toEqual(fromGraphql(deleted, (data) => data));
  }, 60_000);
});

describe('the table covers every kind of answer', () => {
  it('has callers that succeed and callers refused with each code', async () => {
    // A guard on the table itself: it must reach success, FORBIDDEN and NOT_FOUND on both edges.
    const [, viaRest] = await fixture('coverage', 'GROUPS');
    const codes = new Set<string>();
    for (const caller of Object.keys(CALLERS) as CallerName[]) {
      const answer = await rest('GET', `/${viaRest}/install`, await tokenOf(caller));
      codes.add(answer.status < 300 ? 'ok' : answer.body.code);
    }
    expect([...codes].sort()).toEqual(['FORBIDDEN', 'NOT_FOUND', 'ok']);
  }, 60_000);
});
