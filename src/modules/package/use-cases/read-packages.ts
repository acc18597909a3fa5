import { isTenantId, type Caller } from '../../../common/caller';
import { hasControlCharacters } from '../../../common/control-characters';
import { decodeCursor, pageSize, toConnection, UUID, type Connection, type Page } from '../../../common/pagination';
import { accessFor } from '../../access/scope';
import type { CatalogDeps, TenantOption } from '../catalog';
import { parsePackageSearch, searchScope, type PackageFilterInput, type PackageOrder } from '../package-search';
import type { VersionRecord } from '../package.model';
import type { PackageKey } from '../package.repository';
import { toChannelView, toPackageView, toVersionView, type ChannelView, type PackageView, type VersionView } from '../package.view';
import { isPackageSlug } from '../package-ref';

/** A page of packages, with the total over every page counted only when asked for. */
export type PackageConnection = Connection<PackageView> & { totalCount: () => Promise<number> };

/**
 * The packages the caller may see that match the filter, in the asked order (default: newest
 * first, or most relevant first with a query). A cursor only continues the filter and order it came from.
 */
export async function listPackages(
  { db, packages }: CatalogDeps,
  caller: Caller,
  args: { first?: number | null; after?: string | null; filter?: PackageFilterInput | null; orderBy?: PackageOrder | null },
): Promise<PackageConnection> {
  const access = accessFor(caller);
  access.assert('package:read');
  const limit = pageSize(args.first);
  const search = parsePackageSearch(args.filter, args.orderBy);
  const cursorScope = searchScope(search);
  const after = decodeCursor(args.after, cursorScope);
  const page = await db.read((em) => packages.listVisible(em, access.rows, limit, after, search));
  const items = page.items.map((pkg) => ({ view: toPackageView(access, pkg), cursor: { key: pkg.sortKey, id: pkg.id } }));
  const connection = toConnection({ items, hasNextPage: page.hasNextPage }, (item) => item.cursor, cursorScope);
  return {
    edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: edge.node.view })),
    pageInfo: connection.pageInfo,
    totalCount: () => db.read((em) => packages.countVisible(em, access.rows, search)),
  };
}

/** One package by its id, or null when it does not exist or the caller may not see it. */
export async function getPackage({ db, packages }: CatalogDeps, caller: Caller, packageId: string, options: TenantOption = {}): Promise<PackageView | null> {
  const access = accessFor(caller);
  access.assert('package:read');
  const tenantId = access.actingTenant(options.tenantId);
  if (!isPackageSlug(packageId)) return null;
  const pkg = await db.read((em) => packages.findVisible(em, access.rows, tenantId, packageId));
  return pkg && toPackageView(access, pkg);
}

/** Every version of a package the caller already sees (a view they were given), newest first. */
export async function listVersions(
  { db, packages }: CatalogDeps,
  pkg: Pick<PackageView, 'id' | 'readsUnreleased'>,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<VersionView>> {
  const limit = pageSize(args.first);
  const after = decodeCursor(args.after);
  const page = await db.read((em) => packages.listVersions(em, pkg.id, limit, after, pkg.readsUnreleased));
  return versionConnection(page);
}

/**
 * The first page of versions of many packages at once (one query), as `listVersions` would
 * answer each without a cursor; the packages were already read, so already visible to the caller.
 */
export async function listFirstVersionsOfPackages(
  { db, packages }: CatalogDeps,
  packageUuids: readonly string[],
  first: number | null | undefined,
  /** Those of the packages whose staged and rejected versions the caller may list (`PackageView.readsUnreleased`). */
  unreleasedOf: ReadonlySet<string> = new Set(),
): Promise<Map<string, Connection<VersionView>>> {
  const pages = await db.read((em) => packages.listFirstVersionPages(em, packageUuids, pageSize(first), unreleasedOf));
  return new Map([...pages].map(([id, page]) => [id, versionConnection(page)]));
}

/**
 * The release channels of many packages at once (one query), `stable` first; the packages were
 * already read, so already visible to the caller.
 */
export async function listChannelsOfPackages({ db, packages }: CatalogDeps, packageUuids: readonly string[]): Promise<Map<string, ChannelView[]>> {
  const channels = await db.read((em) => packages.listChannelsOfPackages(em, packageUuids));
  return new Map([...channels].map(([id, list]) => [id, list.map(toChannelView)]));
}

/** A page of versions as the caller may read them, with cursors from the stored rows. */
function versionConnection(page: Page<VersionRecord>): Connection<VersionView> {
  const connection = toConnection(page, (v) => ({ key: v.publishedAt, id: v.id }));
  return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: toVersionView(edge.node) })) };
}

/** Batched lookup for federation `_entities`: one query, invisible ids simply absent. */
export async function getPackagesByIds({ db, packages }: CatalogDeps, caller: Caller, ids: readonly string[]): Promise<PackageView[]> {
  const access = accessFor(caller);
  if (!access.may('package:read')) return [];
  const valid = ids.filter((id) => UUID.test(id));
  const found = await db.read((em) => packages.findVisibleByIds(em, access.rows, valid));
  return found.map((pkg) => toPackageView(access, pkg));
}

/** Batched lookup by natural key, for the `tenantId packageId` federation key: one query. */
export async function getPackagesByKeys({ db, packages }: CatalogDeps, caller: Caller, keys: readonly PackageKey[]): Promise<PackageView[]> {
  const access = accessFor(caller);
  if (!access.may('package:read')) return [];
  const valid = keys.filter((key) => isTenantId(key.tenantId) && isPackageSlug(key.packageId));
  const found = await db.read((em) => packages.findVisibleByKeys(em, access.rows, valid));
  return found.map((pkg) => toPackageView(access, pkg));
}

/**
 * The visible packages last published from each of the given flows (`Flow.catalogPackages`),
 * newest first, at most `perFlow` per flow: one query for every flow of the batch.
 */
export async function listPackagesFromFlows(
  { db, packages }: CatalogDeps,
  caller: Caller,
  flowIds: readonly string[],
  perFlow: number,
): Promise<PackageView[]> {
  const access = accessFor(caller);
  if (!access.may('package:read')) return [];
  const valid = flowIds.filter((id) => typeof id === 'string' && id.length > 0 && id.length <= 128 && !hasControlCharacters(id));
  const found = await db.read((em) => packages.findVisibleBySourceFlowIds(em, access.rows, valid, perFlow));
  return found.map((pkg) => toPackageView(access, pkg));
}
