import type { GqlResponse, TestApp } from './test-app';

/**
 * Typed helpers for the catalog's GraphQL operations, for tests that drive the real app over HTTP.
 * Every helper returns an `Outcome`: the data, or the error code of the (single) GraphQL error.
 */
export type Outcome<T> = { ok: true; data: T } | { ok: false; code: string; message: string };

export interface PackageView {
  id: string;
  tenantId: string;
  packageId: string;
  name: string;
  version: string;
  authorId: string;
  authorEmail: string | null;
  visibility: 'TENANT' | 'GROUPS';
  visibilityGroupIds: string[] | null;
}

export interface InstallView {
  flow: Record<string, unknown>;
  metadata: { packageId: string; name: string; version: string; authorEmail: string | null };
}

export interface AuditEventView {
  action: 'PUBLISH' | 'VISIBILITY' | 'DELETE' | 'INSTALL';
  version: string | null;
  actorId: string;
  actorTenantId: string;
}

export interface PublishArgs {
  packageId: string;
  version: string;
  name?: string;
  content?: unknown;
}

/** A federation key of a `CatalogPackage`: its `id`, or its natural key. */
export type EntityKey = string | { tenantId: string; packageId: string };

export const PACKAGE_FIELDS = 'id tenantId packageId name version authorId authorEmail visibility visibilityGroupIds';

/** The smallest flow that compiles. */
export function flowContent(name = 'A flow'): Record<string, unknown> {
  return { name, nodes: [{ id: 'start', type: 'start' }], edges: [] };
}

function outcome<T>(response: GqlResponse<Record<string, unknown>>, field: string): Outcome<T> {
  const error = response.body.errors?.[0];
  if (error) return { ok: false, code: String(error.extensions?.code ?? 'UNKNOWN'), message: error.message };
  return { ok: true, data: response.body.data?.[field] as T };
}

export function catalogOps(t: TestApp) {
  const call = async <T>(token: string, field: string, query: string, variables: Record<string, unknown>) =>
    outcome<T>(await t.gql(token, query, variables), field);

  return {
    publish: (token: string, args: PublishArgs) =>
      call<PackageView>(
        token,
        'publishCatalogPackage',
        `mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { ${PACKAGE_FIELDS} } }`,
        { input: { packageId: args.packageId, name: args.name ?? args.packageId, version: args.version, content: args.content ?? flowContent() } },
      ),

    listPage: (token: string, first?: number, after?: string | null) =>
      call<{ edges: { node: PackageView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>(
        token,
        'catalogPackages',
        `query($first: Int, $after: String) { catalogPackages(first: $first, after: $after) {
           edges { node { ${PACKAGE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { first, after },
      ),

    get: (token: string, packageId: string, tenantId?: string) =>
      call<PackageView | null>(
        token,
        'catalogPackage',
        `query($packageId: String!, $tenantId: ID) { catalogPackage(packageId: $packageId, tenantId: $tenantId) { ${PACKAGE_FIELDS} } }`,
        { packageId, tenantId },
      ),

    install: (token: string, packageId: string, options: { version?: string; tenantId?: string } = {}) =>
      call<InstallView>(
        token,
        'installCatalogPackage',
        `mutation($packageId: String!, $version: String, $tenantId: ID) {
           installCatalogPackage(packageId: $packageId, version: $version, tenantId: $tenantId) {
             flow metadata { packageId name version authorEmail } } }`,
        { packageId, ...options },
      ),

    setVisibility: (token: string, packageId: string, visibility: 'TENANT' | 'GROUPS', groupIds?: string[] | null, tenantId?: string) =>
      call<PackageView>(
        token,
        'setCatalogPackageVisibility',
        `mutation($packageId: String!, $visibility: CatalogVisibility!, $groups: [ID!], $tenantId: ID) {
           setCatalogPackageVisibility(packageId: $packageId, visibility: $visibility, visibilityGroupIds: $groups, tenantId: $tenantId) {
             ${PACKAGE_FIELDS} } }`,
        { packageId, visibility, groups: groupIds, tenantId },
      ),

    delete: (token: string, packageId: string, tenantId?: string) =>
      call<boolean>(
        token,
        'deleteCatalogPackage',
        `mutation($packageId: String!, $tenantId: ID) { deleteCatalogPackage(packageId: $packageId, tenantId: $tenantId) }`,
        { packageId, tenantId },
      ),

    auditEvents: (token: string, packageId: string, tenantId?: string) =>
      call<{ edges: { node: AuditEventView }[] }>(
        token,
        'catalogAuditEvents',
        `query($packageId: String!, $tenantId: ID) { catalogAuditEvents(packageId: $packageId, tenantId: $tenantId, first: 100) {
           edges { node { action version actorId actorTenantId } } } }`,
        { packageId, tenantId },
      ),

    /**
     * Federation `_entities` by either key (`id`, or `tenantId packageId`): one entry per
     * representation, null where the package does not resolve.
     */
    entities: (token: string, refs: readonly EntityKey[]) =>
      call<(PackageView | null)[]>(
        token,
        '_entities',
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on CatalogPackage { ${PACKAGE_FIELDS} } } }`,
        { representations: refs.map((ref) => ({ __typename: 'CatalogPackage', ...(typeof ref === 'string' ? { id: ref } : ref) })) },
      ),

    /** Every page of the list, in order; fails on the first error, and on a cursor that does not move on. */
    async listAll(token: string, pageSize = 20, maxPages = 1_000): Promise<Outcome<PackageView[]>> {
      const all: PackageView[] = [];
      let after: string | null = null;
      for (let pages = 1; pages <= maxPages; pages += 1) {
        const page = await this.listPage(token, pageSize, after);
        if (!page.ok) return page;
        all.push(...page.data.edges.map((edge) => edge.node));
        if (!page.data.pageInfo.hasNextPage) return { ok: true, data: all };
        if (!page.data.pageInfo.endCursor || page.data.pageInfo.endCursor === after) {
          return { ok: false, code: 'PAGINATION_STUCK', message: `page ${pages} ends at the cursor it started from` };
        }
        after = page.data.pageInfo.endCursor;
      }
      return { ok: false, code: 'PAGINATION_STUCK', message: `more than ${maxPages} pages` };
    },
  };
}

export type CatalogOps = ReturnType<typeof catalogOps>;

/** Rows in catalog_audit_event. */
export async function auditEventCount(t: TestApp): Promise<number> {
  const rows = await t.app.orm.em.fork().getConnection().execute<{ count: string | number }[]>('select count(*) as count from catalog_audit_event');
  return Number(rows[0]!.count);
}
