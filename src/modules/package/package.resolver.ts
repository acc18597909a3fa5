import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context';
import type { AuditEventRecord } from '../audit/audit.repository';
import type { PackageRecord, VersionRecord } from './package.model';
import { mayReadAuthorEmail, mayReadGroupIds } from './package.policy';
import type { Connection, InstallResult } from './package.service';
import {
  CatalogAuditEventConnectionType,
  CatalogInstallResultType,
  CatalogPackageConnectionType,
  CatalogPackageType,
  CatalogPackageVersionConnectionType,
  CatalogVisibility,
  PublishCatalogPackageInput,
  UserRef,
} from './package.types';

const TENANT_ARG = { nullable: true, description: 'Another tenant: super admins only' } as const;

/** Thin: maps arguments to the service and returns what it gives. */
@Resolver(() => CatalogPackageType)
export class CatalogPackageResolver {
  @Query(() => CatalogPackageConnectionType, { description: 'Packages the caller may see, newest first' })
  catalogPackages(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<PackageRecord>> {
    return ctx.services.packages.listPackages(ctx.caller, { first, after });
  }

  @Query(() => CatalogPackageType, { nullable: true })
  catalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageRecord | null> {
    return ctx.services.packages.getPackage(ctx.caller, packageId, { tenantId });
  }

  @Query(() => CatalogAuditEventConnectionType, { description: 'For the author, tenant admins and super admins' })
  catalogAuditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<Connection<AuditEventRecord>> {
    return ctx.services.packages.listAuditEvents(ctx.caller, packageId, { first, after, tenantId });
  }

  @Mutation(() => CatalogPackageType)
  publishCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => PublishCatalogPackageInput) input: PublishCatalogPackageInput,
  ): Promise<PackageRecord> {
    const body = { ...input };
    // With an Idempotency-Key header, a retry gets the first result instead of a second publish.
    return ctx.services.idempotency.withIdempotency(ctx.caller, ctx.idempotencyKey, body, () =>
      ctx.services.packages.publishPackage(ctx.caller, body, ctx.authorization),
    );
  }

  @Mutation(() => CatalogInstallResultType)
  installCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('version', () => String, { nullable: true, description: 'Default: the latest version' }) version?: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<InstallResult> {
    return ctx.services.packages.installPackage(ctx.caller, packageId, { version, tenantId });
  }

  @Mutation(() => CatalogPackageType)
  setCatalogPackageVisibility(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('visibility', () => CatalogVisibility) visibility: CatalogVisibility,
    @Arg('visibilityGroupIds', () => [ID], { nullable: true }) visibilityGroupIds?: string[],
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageRecord> {
    return ctx.services.packages.setVisibility(ctx.caller, packageId, { visibility, visibilityGroupIds, tenantId });
  }

  @Mutation(() => Boolean)
  async deleteCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<boolean> {
    await ctx.services.packages.deletePackage(ctx.caller, packageId, { tenantId });
    return true;
  }

  @FieldResolver(() => String)
  version(@Root() pkg: PackageRecord): string {
    return pkg.latestVersion;
  }

  @FieldResolver(() => UserRef, { description: 'The author, resolved by the users subgraph' })
  author(@Root() pkg: PackageRecord): UserRef {
    return { id: pkg.authorId };
  }

  @FieldResolver(() => CatalogPackageVersionConnectionType, { description: 'Every published version, newest first' })
  versions(
    @Root() pkg: PackageRecord,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<VersionRecord>> {
    return ctx.services.packages.listVersions(pkg, { first, after });
  }

  @FieldResolver(() => [ID], { nullable: true })
  visibilityGroupIds(@Root() pkg: PackageRecord, @Ctx() ctx: GraphQLContext): string[] | null {
    return mayReadGroupIds(ctx.caller, pkg) ? pkg.visibilityGroupIds : null;
  }

  @FieldResolver(() => String, { nullable: true })
  authorEmail(@Root() pkg: PackageRecord, @Ctx() ctx: GraphQLContext): string | null {
    return mayReadAuthorEmail(ctx.caller, pkg) ? pkg.authorEmail : null;
  }
}
