import type { PackageView } from '../../modules/package/package.view';
import type { GraphQLContext } from '../context';

/**
 * Federation entry point: the router asks for packages by one of the two `@key`s. Every
 * representation of one `_entities` call lands in the same DataLoader batch of its key form: one
 * query per form, the same visibility rule as every other read; invisible packages are null.
 */
export const catalogPackageReference = {
  CatalogPackage: {
    __resolveReference(reference: Record<string, unknown>, ctx: GraphQLContext): Promise<PackageView | null> {
      if (typeof reference.id === 'string') return ctx.loaders.packageById.load(reference.id);
      if (typeof reference.tenantId === 'string' && typeof reference.packageId === 'string') {
        return ctx.loaders.packageByKey.load({ tenantId: reference.tenantId, packageId: reference.packageId });
      }
      return Promise.resolve(null);
    },
  },
};
