import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Connection } from '../../common/pagination';
import type { AuditEventRecord } from '../../modules/audit/audit.repository';
import type { VersionRecord } from '../../modules/package/package.model';
import type { PackageView } from '../../modules/package/package.view';
import type { InstallResult } from '../../modules/package/use-cases/install-package';
import type { PackageConnection } from '../../modules/package/use-cases/read-packages';
import type { GraphQLContext } from '../context';
import {
  CatalogAuditEventConnectionType,
  CatalogInstallResultType,
  CatalogPackageConnectionType,
  CatalogPackageFilter,
  CatalogPackageOrder,
  CatalogPackageType,
  CatalogPackageVersionConnectionType,
  CatalogVisibility,
  PublishCatalogPackageInput,
  UserRef,
} from './package.types';

const TENANT_ARG = { nullable: true, description: 'Another tenant: super admins only' } as const;

/** Thin: maps arguments to the use cases and returns what they give (already redacted). */
@Resolver(() => CatalogPackageType)
export class CatalogPackageResolver {
  @Query(() => CatalogPackageConnectionType, { description: 'Packages the caller may see, filtered and ordered (default newest first)' })
  catalogPackages(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('filter', () => CatalogPackageFilter, { nullable: true }) filter?: CatalogPackageFilter,
    @Arg('orderBy', () => CatalogPackageOrder, { nullable: true }) orderBy?: CatalogPackageOrder,
  ): Promise<PackageConnection> {
    return ctx.catalog.listPackages(ctx.caller, { first, after, filter: filter && { ...filter }, orderBy });
  }

  @Query(() => CatalogPackageType, { nullable: true })
  catalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageView | null> {
    return ctx.catalog.getPackage(ctx.caller, packageId, { tenantId });
  }

  @Query(() => CatalogAuditEventConnectionType, { description: 'For the author, tenant admins and super admins' })
  catalogAuditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<Connection<AuditEventRecord>> {
    return ctx.catalog.listAuditEvents(ctx.caller, packageId, { first, after, tenantId });
  }

  @Mutation(() => CatalogPackageType)
  publishCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => PublishCatalogPackageInput) input: PublishCatalogPackageInput,
  ): Promise<PackageView> {
    return ctx.catalog.publishPackage(ctx.caller, { ...input }, ctx.request);
  }

  @Mutation(() => CatalogInstallResultType)
  installCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('version', () => String, { nullable: true, description: 'Default: the latest version' }) version?: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<InstallResult> {
    return ctx.catalog.installPackage(ctx.caller, packageId, { version, tenantId });
  }

  @Mutation(() => CatalogPackageType)
  setCatalogPackageVisibility(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('visibility', () => CatalogVisibility) visibility: CatalogVisibility,
    @Arg('visibilityGroupIds', () => [ID], { nullable: true }) visibilityGroupIds?: string[],
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.setVisibility(ctx.caller, packageId, { visibility, visibilityGroupIds, tenantId });
  }

  @Mutation(() => Boolean)
  async deleteCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<boolean> {
    await ctx.catalog.deletePackage(ctx.caller, packageId, { tenantId });
    return true;
  }

  // Nullable: behind a gateway, a users-subgraph outage then nulls this field, not the whole page.
  @FieldResolver(() => UserRef, { nullable: true, description: 'The author, resolved by the users subgraph' })
  author(@Root() pkg: PackageView): UserRef | null {
    return { id: pkg.authorId };
  }

  @FieldResolver(() => CatalogPackageVersionConnectionType, { description: 'Every published version, newest first' })
  versions(
    @Root() pkg: PackageView,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<VersionRecord>> {
    // The first page of every package in a list comes from one batched query.
    if (after == null) return ctx.loaders.firstVersions.load({ packageUuid: pkg.id, first });
    return ctx.catalog.listVersions(pkg, { first, after });
  }
}
