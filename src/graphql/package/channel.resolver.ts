import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { ChannelView, PackageView } from '../../modules/package/package.view';
import type { ErrorCode } from '../../common/errors';
import type { GraphQLContext } from '../context';
import { withErrors } from '../error-docs';
import { CatalogChannelType, CatalogPackageType } from './package.types';

const CHANNEL_ERRORS: ErrorCode[] = ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'ILLEGAL_STATE', 'PACKAGE_QUARANTINED'];

/** Thin: release channels (docs/API.md, "Release channels"). */
@Resolver(() => CatalogPackageType)
export class CatalogChannelResolver {
  @FieldResolver(() => [CatalogChannelType], {
    description: 'Its release channels, stable (the default version) first, then the others by name; empty when nothing is installable',
  })
  channels(@Root() pkg: PackageView, @Ctx() ctx: GraphQLContext): Promise<ChannelView[]> {
    // Every package of a list gets its channels from one batched query.
    return ctx.loaders.channels.load(pkg.id);
  }

  @Mutation(() => CatalogPackageType, {
    description: withErrors(
      'Points a release channel at an installable version, creating it on first use; stable moves the default install (a rollback to a lower version sticks until the next publish to stable or another set). Author, tenant admins, super admins',
      CHANNEL_ERRORS,
    ),
  })
  setCatalogChannel(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, { description: 'The package slug' }) packageId: string,
    @Arg('channel', () => String, { description: 'stable, or a lowercase slug that is not a semver range, such as beta' }) channel: string,
    @Arg('version', () => String, { description: 'An installable version of the package' }) version: string,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Another tenant: super admins only' }) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.setChannel(ctx.caller, packageId, { channel, version, tenantId });
  }

  @Mutation(() => CatalogPackageType, {
    description: withErrors('Removes a release channel; stable (the default version) cannot be removed. Author, tenant admins, super admins', CHANNEL_ERRORS),
  })
  removeCatalogChannel(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, { description: 'The package slug' }) packageId: string,
    @Arg('channel', () => String, { description: 'The channel to remove' }) channel: string,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Another tenant: super admins only' }) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.removeChannel(ctx.caller, packageId, { channel, tenantId });
  }
}
