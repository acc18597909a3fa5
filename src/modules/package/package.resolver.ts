import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context';
import type { PackageRecord } from './package.model';
import { mayReadAuthorEmail, mayReadGroupIds } from './package.policy';
import type { Connection, InstallResult } from './package.service';
import {
  CatalogInstallResultType,
  CatalogPackageConnectionType,
  CatalogPackageType,
  PublishCatalogPackageInput,
} from './package.types';

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
  catalogPackage(@Ctx() ctx: GraphQLContext, @Arg('packageId', () => String) packageId: string): Promise<PackageRecord | null> {
    return ctx.services.packages.getPackage(ctx.caller, packageId);
  }

  @Mutation(() => CatalogPackageType)
  publishCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => PublishCatalogPackageInput) input: PublishCatalogPackageInput,
  ): Promise<PackageRecord> {
    return ctx.services.packages.publishPackage(ctx.caller, { ...input }, ctx.authorization);
  }

  @Mutation(() => CatalogInstallResultType)
  installCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String) packageId: string,
    @Arg('version', () => String, { nullable: true, description: 'Default: the latest version' }) version?: string,
  ): Promise<InstallResult> {
    return ctx.services.packages.installPackage(ctx.caller, packageId, { version });
  }

  @FieldResolver(() => String)
  version(@Root() pkg: PackageRecord): string {
    return pkg.latestVersion;
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
