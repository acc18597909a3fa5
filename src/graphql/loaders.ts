import DataLoader from 'dataloader';
import type { Caller } from '../common/caller';
import type { Catalog } from '../modules/package/catalog';
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
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
