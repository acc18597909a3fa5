import DataLoader from 'dataloader';
import type { Caller } from '../common/caller';
import type { Connection } from '../common/pagination';
import type { Catalog } from '../modules/package/catalog';
import type { ChannelView, VersionView } from '../modules/package/package.view';
import type { PackageKey } from '../modules/package/package.repository';
import type { PackageView } from '../modules/package/package.view';

/** A flow is republished into a handful of packages at most; this bounds a runaway one. */
export const PACKAGES_PER_FLOW = 100;

/**
 * Every DataLoader of one GraphQL request, built in one place: each batches what the resolvers
 * of that request ask for into one use-case call (one query), for that caller only.
 */
export function createLoaders(catalog: Catalog, caller: Caller) {
  const keyOf = (key: PackageKey): string => `${key.tenantId}\u0000${key.packageId}`;
  return {
    packageById: new DataLoader<string, PackageView | null>(async (ids) => {
      const byId = new Map((await catalog.getPackagesByIds(caller, ids)).map((pkg) => [pkg.id, pkg]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    packageByKey: new DataLoader<PackageKey, PackageView | null, string>(
      async (keys) => {
        const byKey = new Map((await catalog.getPackagesByKeys(caller, keys)).map((pkg) => [keyOf(pkg), pkg]));
        return keys.map((key) => byKey.get(keyOf(key)) ?? null);
      },
      { cacheKeyFn: keyOf },
    ),
    packagesBySourceFlow: new DataLoader<string, PackageView[]>(async (flowIds) => {
      const found = await catalog.listPackagesFromFlows(caller, flowIds, PACKAGES_PER_FLOW);
      const byFlow = new Map<string, PackageView[]>(flowIds.map((id) => [id, []]));
      for (const pkg of found) byFlow.get(pkg.sourceFlowId ?? '')?.push(pkg);
      return flowIds.map((id) => byFlow.get(id) ?? []);
    }),
    /** `channels` of every package of a list: one query. */
    channels: new DataLoader<string, ChannelView[]>(async (packageUuids) => {
      const byPackage = await catalog.listChannelsOfPackages(packageUuids);
      return packageUuids.map((id) => byPackage.get(id) ?? []);
    }),
    /** `versions(first:)` without a cursor, for every package of a list: one query per page size. */
    firstVersions: new DataLoader<{ packageUuid: string; first: number | null | undefined; unreleased: boolean }, Connection<VersionView>, string>(
      async (keys) => {
        const pagesBySize = new Map<number | null | undefined, Promise<Map<string, Connection<VersionView>>>>();
        for (const first of new Set(keys.map((key) => key.first))) {
          const sized = keys.filter((key) => key.first === first);
          const unreleasedOf = new Set(sized.filter((key) => key.unreleased).map((key) => key.packageUuid));
          pagesBySize.set(
            first,
            catalog.listFirstVersionsOfPackages(
              sized.map((key) => key.packageUuid),
              first,
              unreleasedOf,
            ),
          );
        }
        return Promise.all(keys.map(async (key) => (await pagesBySize.get(key.first)!).get(key.packageUuid)!));
      },
      { cacheKeyFn: (key) => `${key.packageUuid}\u0000${key.first ?? ''}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
