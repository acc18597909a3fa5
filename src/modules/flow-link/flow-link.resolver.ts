import DataLoader from 'dataloader';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Caller } from '../../common/caller';
import type { GraphQLContext } from '../../graphql/context';
import { requestScoped } from '../../graphql/request-scoped';
import type { PackageRecord } from '../package/package.model';
import type { PackageService } from '../package/package.service';
import { CatalogPackageType } from '../package/package.types';
import { FlowRef } from './flow-link.types';

/** A flow is republished into a handful of packages at most; this bounds a runaway one. */
export const PACKAGES_PER_FLOW = 100;

/**
 * `Flow.catalogPackages`, contributed to the flows subgraph's entity. Flow representations need no
 * lookup of their own (the key is all the catalog knows), so there is no `__resolveReference`:
 * every flow of one `_entities` call shares one query through the loader.
 */
@Resolver(() => FlowRef)
export class FlowCatalogResolver {
  @FieldResolver(() => [CatalogPackageType], {
    description: `Packages last published from this flow that the caller may see, newest first (at most ${PACKAGES_PER_FLOW})`,
  })
  catalogPackages(@Root() flow: FlowRef, @Ctx() ctx: GraphQLContext): Promise<PackageRecord[]> {
    const loader = requestScoped(ctx, 'packagesBySourceFlow', () => createPackagesBySourceFlowLoader(ctx.services.packages, ctx.caller));
    return loader.load(String(flow.id));
  }
}

/** The other direction: a package points at the flow it was last published from. */
@Resolver(() => CatalogPackageType)
export class CatalogPackageSourceFlowResolver {
  @FieldResolver(() => FlowRef, { nullable: true, description: 'The flow this package was last published from, resolved by the flows subgraph' })
  sourceFlow(@Root() pkg: PackageRecord): FlowRef | null {
    return pkg.sourceFlowId ? { id: pkg.sourceFlowId } : null;
  }
}

export function createPackagesBySourceFlowLoader(packages: PackageService, caller: Caller): DataLoader<string, PackageRecord[]> {
  return new DataLoader(async (flowIds) => {
    const found = await packages.listPackagesFromFlows(caller, flowIds, PACKAGES_PER_FLOW);
    const byFlow = new Map<string, PackageRecord[]>(flowIds.map((id) => [id, []]));
    for (const pkg of found) byFlow.get(pkg.sourceFlowId ?? '')?.push(pkg);
    return flowIds.map((id) => byFlow.get(id) ?? []);
  });
}
