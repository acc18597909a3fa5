import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Connection } from '../../common/pagination';
import type { PublishPolicyChangeView, PublishPolicyView } from '../../modules/publish-policy/manage-policy';
import type { GraphQLContext } from '../context';
import { withErrors } from '../error-docs';
import { plainInput } from '../plain-input';
import { CatalogPublishPolicyChangeConnectionType, CatalogPublishPolicyInput, CatalogPublishPolicyType } from './publish-policy.types';

const TENANT_ARG = { nullable: true, description: "Another tenant than the caller's: super admins only" } as const;

/** Thin: a tenant's publish policy, read and replaced by its admins (docs/API.md, "Publish policies"). */
@Resolver(() => CatalogPublishPolicyType)
export class CatalogPublishPolicyResolver {
  @Query(() => CatalogPublishPolicyType, {
    description: withErrors("A tenant's publish policy (a tenant that never set one has no rules). Tenant admins, super admins", [
      'BAD_USER_INPUT',
      'FORBIDDEN',
    ]),
  })
  catalogPublishPolicy(@Ctx() ctx: GraphQLContext, @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string): Promise<PublishPolicyView> {
    return ctx.catalog.readPublishPolicy(ctx.caller, tenantId);
  }

  @Mutation(() => CatalogPublishPolicyType, {
    description: withErrors(
      "Replaces a tenant's whole publish policy with the input (a rule left out is removed); recorded in its changes. Tenant admins, super admins",
      ['BAD_USER_INPUT', 'FORBIDDEN'],
    ),
  })
  setCatalogPublishPolicy(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => CatalogPublishPolicyInput, { description: 'The whole new policy' }) input: CatalogPublishPolicyInput,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PublishPolicyView> {
    return ctx.catalog.setPublishPolicy(ctx.caller, plainInput(input), tenantId);
  }

  @FieldResolver(() => CatalogPublishPolicyChangeConnectionType, {
    description: withErrors('Who changed this policy, when, and the rules before and after, newest first', ['BAD_USER_INPUT', 'FORBIDDEN']),
  })
  changes(
    @Ctx() ctx: GraphQLContext,
    @Root() policy: PublishPolicyView,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 1 to 100 (default 20)' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page' }) after?: string,
  ): Promise<Connection<PublishPolicyChangeView>> {
    return ctx.catalog.listPublishPolicyChanges(ctx.caller, { tenantId: policy.tenantId, first, after });
  }
}
