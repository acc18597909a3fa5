import DataLoader from 'dataloader';
import type { Caller } from '../../common/caller';
import type { GraphQLContext } from '../../graphql/context';
import type { PackageRecord } from './package.model';
import type { PackageService } from './package.service';

/**
 * Federation entry point: the router (or anyone reaching the subgraph) asks for packages by key.
 * Every representation of one `_entities` call lands in the same DataLoader batch: one query,
 * the same visibility rule as every other read, and invisible packages resolve to null.
 */
export const catalogPackageReference = {
  CatalogPackage: {
    __resolveReference(reference: { id: string }, ctx: GraphQLContext): Promise<PackageRecord | null> {
      return ctx.loaders.packageById.load(reference.id);
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
