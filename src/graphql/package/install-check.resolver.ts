import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { InstallCheck } from '../../modules/package/use-cases/check-install';
import type { GraphQLContext } from '../context';
import { plainInput } from '../plain-input';
import { withErrors } from '../error-docs';
import { CatalogEnvironmentInput, CatalogInstallCheckType } from './install-check.types';

/** Thin: the pre-flight of an install (docs/API.md, "Pre-flight"). */
@Resolver(() => CatalogInstallCheckType)
export class CatalogInstallCheckResolver {
  @Query(() => CatalogInstallCheckType, {
    description: withErrors('Whether a version would run in an environment, and every reason it would not; writes nothing', [
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'VERSION_WITHDRAWN',
      'FORBIDDEN',
    ]),
  })
  catalogInstallCheck(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, { description: 'The package slug' }) packageId: string,
    @Arg('environment', () => CatalogEnvironmentInput, { description: 'What the target has' }) environment: CatalogEnvironmentInput,
    @Arg('version', () => String, { nullable: true, description: 'Default: the default version' }) version?: string,
    @Arg('channel', () => String, {
      nullable: true,
      description: 'A release channel: checks its version; not with version; NOT_FOUND when the package has no such channel',
    })
    channel?: string,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Another tenant: super admins only' }) tenantId?: string,
  ): Promise<InstallCheck> {
    return ctx.catalog.checkInstall(ctx.caller, packageId, { version, channel, tenantId, environment: plainInput(environment) });
  }
}
