import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Connection } from '../../common/pagination';
import type { AuditEventRecord } from '../../modules/audit/audit.repository';
import type { VersionRecord } from '../../modules/package/package.model';
import type { PackageView } from '../../modules/package/package.view';
import type { UpdateAnswer } from '../../modules/package/update-check';
import type { VersionDiff } from '../../modules/package/use-cases/diff-versions';
import type { InstallResult } from '../../modules/package/use-cases/install-package';
import type { PackageConnection } from '../../modules/package/use-cases/read-packages';
import type { GraphQLContext } from '../context';
import {
  CatalogAuditEventConnectionType,
  CatalogFlowDiffType,
  CatalogInstalledInput,
  CatalogInstallResultType,
  CatalogPackageConnectionType,
  CatalogPackageFilter,
  CatalogPackageOrder,
  CatalogPackageType,
  CatalogPackageVersionConnectionType,
  CatalogPackageVersionType,
  CatalogUpdateType,
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

  @Query(() => [CatalogUpdateType], { description: 'For up to 500 installed copies, in order: newer installable versions' })
  catalogUpdates(
    @Ctx() ctx: GraphQLContext,
    @Arg('installed', () => [CatalogInstalledInput]) installed: CatalogInstalledInput[],
  ): Promise<UpdateAnswer<VersionRecord>[]> {
    return ctx.catalog.checkUpdates(ctx.caller, installed);
  }

  @Query(() => CatalogFlowDiffType, { description: 'What changed between two versions of a package' })
  catalogPackageDiff(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('from', () => String) from: string,
    @Arg('to', () => String) to: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<VersionDiff> {
    return ctx.catalog.diffVersions(ctx.caller, packageId, { from, to, tenantId });
  }

  @Mutation(() => CatalogPackageVersionType, { description: 'Still installable; install says why not to. Author, tenant admins, super admins' })
  deprecateCatalogPackageVersion(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('version', () => String) version: string,
    @Arg('reason', () => String) reason: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<VersionRecord> {
    return ctx.catalog.deprecateVersion(ctx.caller, packageId, { version, reason, tenantId });
  }

  @Mutation(() => CatalogPackageVersionType, { description: 'Never served again (VERSION_WITHDRAWN). Author, tenant admins, super admins' })
  withdrawCatalogPackageVersion(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('version', () => String) version: string,
    @Arg('reason', () => String) reason: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<VersionRecord> {
    return ctx.catalog.withdrawVersion(ctx.caller, packageId, { version, reason, tenantId });
  }

  @Mutation(() => CatalogPackageVersionType, { description: 'Back to active. Author, tenant admins, super admins' })
  restoreCatalogPackageVersion(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('version', () => String) version: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<VersionRecord> {
    return ctx.catalog.restoreVersion(ctx.caller, packageId, { version, tenantId });
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
    @Arg('version', () => String, { nullable: true, description: 'Default: the default version (the highest installable release)' }) version?: string,
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

  @FieldResolver(() => UserRef, { description: 'The author, resolved by the users subgraph' })
  author(@Root() pkg: PackageView): UserRef {
    return { id: pkg.authorId };
  }

  @FieldResolver(() => CatalogPackageVersionConnectionType, { description: 'Every published version, newest first' })
  versions(
    @Root() pkg: PackageView,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<VersionRecord>> {
    return ctx.catalog.listVersions(pkg, { first, after });
  }
}
