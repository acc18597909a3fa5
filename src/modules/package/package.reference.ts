import DataLoader from 'dataloader';
import type { Caller } from '../../common/caller';
import type { GraphQLContext } from '../../graphql/context';
import { requestScoped } from '../../graphql/request-scoped';
import type { PackageRecord } from './package.model';
import type { PackageKey } from './package.repository';
import type { PackageService } from './package.service';

/** What the router sends for a `CatalogPackage`: one of the two `@key`s. */
export type CatalogPackageRepresentation = { id: string } | PackageKey;

/**
 * Federation entry point: the router (or anyone reaching the subgraph) asks for packages by key.
 * Every representation of one `_entities` call lands in the same DataLoader batch of its key form:
 * one query per form, the same visibility rule as every other read, and invisible packages
 * resolve to null.
 */
export const catalogPackageReference = {
  CatalogPackage: {
    __resolveReference(reference: CatalogPackageRepresentation, ctx: GraphQLContext): Promise<PackageRecord | null> {
      if ('id' in reference && typeof reference.id === 'string') return ctx.loaders.packageById.load(reference.id);
      if ('tenantId' in reference && 'packageId' in reference) {
        const loader = requestScoped(ctx, 'packageByKey', () => createPackageByKeyLoader(ctx.services.packages, ctx.caller));
        return loader.load({ tenantId: String(reference.tenantId), packageId: String(reference.packageId) });
      }
      return Promise.resolve(null);
    },
  },
};

export function createPackageLoader(packages: PackageService, caller: Caller): DataLoader<string, PackageRecord | null> {
  return new DataLoader(async (ids) => {
    const found = await packages.getPackagesByIds(caller, ids);
    const byId = new Map(found.map((pkg) => [pkg.id, pkg]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

const keyOf = (key: PackageKey): string => `${key.tenantId}\u0000${key.packageId}`;

export function createPackageByKeyLoader(packages: PackageService, caller: Caller): DataLoader<PackageKey, PackageRecord | null, string> {
  return new DataLoader(
    async (keys) => {
      const found = await packages.getPackagesByKeys(caller, keys);
      const byKey = new Map(found.map((pkg) => [keyOf(pkg), pkg]));
      return keys.map((key) => byKey.get(keyOf(key)) ?? null);
    },
    { cacheKeyFn: keyOf },
  );
}
