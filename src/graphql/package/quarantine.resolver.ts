import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { PackageView } from '../../modules/package/package.view';
import type { GraphQLContext } from '../context';
import { withErrors } from '../error-docs';
import { CatalogPackageType } from './package.types';

const TENANT_ARG = { nullable: true, description: 'Another tenant: super admins only' } as const;
const PACKAGE_ID_ARG = { description: 'The package slug' } as const;

/** Thin: an admin's freeze of a suspect package, and its release (docs/API.md, "Quarantine"). */
@Resolver(() => CatalogPackageType)
export class CatalogQuarantineResolver {
  @Mutation(() => CatalogPackageType, {
    description: withErrors(
      'Quarantines a package: until released, only tenant admins and super admins may install it, publish to it or change it. Tenant admins, super admins',
      ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'ILLEGAL_STATE'],
    ),
  })
  quarantineCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('reason', () => String, { description: 'Why (1 to 500 characters): shown to admins, recorded in the audit trail' }) reason: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.quarantinePackage(ctx.caller, packageId, { reason, tenantId });
  }

  @Mutation(() => CatalogPackageType, {
    description: withErrors('Releases a quarantined package: it takes installs, publishes and changes again. Tenant admins, super admins', [
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'FORBIDDEN',
      'ILLEGAL_STATE',
    ]),
  })
  releaseCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.releasePackage(ctx.caller, packageId, { tenantId });
  }
}
