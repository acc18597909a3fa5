import { Arg, Ctx, Field, Float, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { CatalogUsage } from '../../modules/quota/read-usage';
import type { GraphQLContext } from '../context';
import { withErrors } from '../error-docs';

// Bytes go past 2^31 (the default limit is 5 GiB): Float, exact up to 2^53.
@ObjectType('CatalogUsageLimits', { description: 'The per-tenant quotas (docs/API.md, "Quotas")', simpleResolvers: true })
class CatalogUsageLimitsType {
  @Field(() => Int, { description: 'Most packages a tenant may publish' })
  packages!: number;

  @Field(() => Float, { description: 'Archive bytes' })
  bytes!: number;

  @Field(() => Int, { description: 'Most versions one package may have' })
  versionsPerPackage!: number;
}

@ObjectType('CatalogUsage', { description: 'What a tenant has published, against its quotas', simpleResolvers: true })
class CatalogUsageType {
  @Field(() => Int, { description: 'Packages, deleted ones included' })
  packages!: number;

  @Field(() => Int, { description: 'Versions of every package, deleted packages included' })
  versions!: number;

  @Field(() => Float, { description: 'Archive bytes of every version, deleted packages included' })
  bytes!: number;

  @Field(() => CatalogUsageLimitsType, { description: "The tenant's quotas" })
  limits!: CatalogUsageLimitsType;
}

@Resolver(() => CatalogUsageType)
export class CatalogUsageResolver {
  @Query(() => CatalogUsageType, {
    description: withErrors("A tenant's usage and quotas: for tenant admins of that tenant and super admins", ['BAD_USER_INPUT', 'FORBIDDEN']),
  })
  catalogUsage(
    @Ctx() ctx: GraphQLContext,
    @Arg('tenantId', () => ID, { nullable: true, description: "Default: the caller's tenant" }) tenantId?: string,
  ): Promise<CatalogUsage> {
    return ctx.catalog.readUsage(ctx.caller, tenantId);
  }
}
