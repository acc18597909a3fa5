import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { PackageView } from '../../modules/package/package.view';
import type { GraphQLContext } from '../context';
import { PACKAGES_PER_FLOW } from '../loaders';
import { CatalogPackageType } from '../package/package.types';
import { FlowRef } from './flow-link.types';

/**
 * `Flow.catalogPackages`, contributed to the flows subgraph's entity. Flow representations need no
 * lookup of their own (the key is all the catalog knows), so there is no `__resolveReference`:
 * every flow of one `_entities` call shares one query through the loader.
 */
@Resolver(() => FlowRef)
export class FlowCatalogResolver {
  // Nullable: when the catalog is down, a router nulls only this field of another team's page,
  // instead of the whole flow (and, up the non-null chain, the whole answer).
  @FieldResolver(() => [CatalogPackageType], {
    nullable: true,
    description: `Packages last published from this flow that the caller may see, newest first (at most ${PACKAGES_PER_FLOW}); null when the catalog could not answer`,
  })
  catalogPackages(@Root() flow: FlowRef, @Ctx() ctx: GraphQLContext): Promise<PackageView[]> {
    return ctx.loaders.packagesBySourceFlow.load(String(flow.id));
  }
}

/** The other direction: a package points at the flow it was last published from. */
@Resolver(() => CatalogPackageType)
export class CatalogPackageSourceFlowResolver {
  @FieldResolver(() => FlowRef, { nullable: true, description: 'The flow this package was last published from, resolved by the flows subgraph' })
  sourceFlow(@Root() pkg: PackageView): FlowRef | null {
    return pkg.sourceFlowId ? { id: pkg.sourceFlowId } : null;
  }
}
