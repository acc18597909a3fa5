import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Connection } from '../../common/pagination';
import type { AuditEventView } from '../../modules/audit/audit.view';
import type { PackageView, VersionView } from '../../modules/package/package.view';
import type { UpdateAnswer } from '../../modules/package/update-check';
import { DEFAULT_NEWER_VERSIONS, MAX_NEWER_VERSIONS } from '../../modules/package/use-cases/check-updates';
import type { VersionDiff } from '../../modules/package/use-cases/diff-versions';
import type { InstallResult } from '../../modules/package/use-cases/install-package';
import type { PackageConnection } from '../../modules/package/use-cases/read-packages';
import type { GraphQLContext } from '../context';
import type { ErrorCode } from '../../common/errors';
import { withErrors } from '../error-docs';
import { CatalogCredentialBindingInput } from './install-check.types';
import { updateSelectionOf } from './update-selection';
import { VersionRefArgs, VersionStatusChangeArgs } from './version-status.args';
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
const PACKAGE_ID_ARG = { description: 'The package slug' } as const;
const STATUS_ERRORS: ErrorCode[] = ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'ILLEGAL_STATE'];
const FIRST_ARG = { nullable: true, description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` } as const;
const AFTER_ARG = { nullable: true, description: 'The endCursor of the previous page' } as const;

/** Thin: maps arguments to the use cases and returns what they give (already redacted). */
@Resolver(() => CatalogPackageType)
export class CatalogPackageResolver {
  @Query(() => CatalogPackageConnectionType, {
    description: withErrors('Packages the caller may see, filtered and ordered (default newest first)', ['BAD_USER_INPUT']),
  })
  catalogPackages(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, FIRST_ARG) first?: number,
    @Arg('after', () => String, AFTER_ARG) after?: string,
    @Arg('filter', () => CatalogPackageFilter, { nullable: true, description: 'What to match; all packages when absent' }) filter?: CatalogPackageFilter,
    @Arg('orderBy', () => CatalogPackageOrder, { nullable: true, description: 'Order; default NEWEST, or RELEVANCE with filter.query' })
    orderBy?: CatalogPackageOrder,
  ): Promise<PackageConnection> {
    return ctx.catalog.listPackages(ctx.caller, { first, after, filter: filter && { ...filter }, orderBy });
  }

  @Query(() => CatalogPackageType, {
    nullable: true,
    description: withErrors('One package by its slug; null when it does not exist or the caller may not see it', ['BAD_USER_INPUT', 'FORBIDDEN']),
  })
  catalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageView | null> {
    return ctx.catalog.getPackage(ctx.caller, packageId, { tenantId });
  }

  @Query(() => CatalogAuditEventConnectionType, {
    description: withErrors('What happened to a package, newest first: for the author, tenant admins and super admins', [
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'FORBIDDEN',
    ]),
  })
  catalogAuditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('first', () => Int, FIRST_ARG) first?: number,
    @Arg('after', () => String, AFTER_ARG) after?: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<Connection<AuditEventView>> {
    return ctx.catalog.listAuditEvents(ctx.caller, packageId, { first, after, tenantId });
  }

  @Query(() => [CatalogUpdateType], {
    description: withErrors(
      "For up to 500 installed copies, in input order: the newer installable versions and the installed one's status; invisible packages answer as unknown ones",
      ['BAD_USER_INPUT', 'FORBIDDEN'],
    ),
  })
  catalogUpdates(
    @Ctx() ctx: GraphQLContext,
    @Arg('installed', () => [CatalogInstalledInput], { description: 'The copies: what their install metadata recorded' }) installed: CatalogInstalledInput[],
    @Info() info: GraphQLResolveInfo,
  ): Promise<UpdateAnswer<VersionView>[]> {
    // The statement reads only the newer versions and changelogs this selection asks for.
    return ctx.catalog.checkUpdates(ctx.caller, installed, updateSelectionOf(info));
  }

  @Query(() => CatalogFlowDiffType, {
    description: withErrors(
      'What changed between two versions of a package, read from their checked archives; a withdrawn version only for its author and admins',
      ['BAD_USER_INPUT', 'NOT_FOUND', 'VERSION_WITHDRAWN', 'FORBIDDEN'],
    ),
  })
  catalogPackageDiff(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('from', () => String, { description: 'The older version' }) from: string,
    @Arg('to', () => String, { description: 'The newer version' }) to: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<VersionDiff> {
    return ctx.catalog.diffVersions(ctx.caller, packageId, { from, to, tenantId });
  }

  @Mutation(() => CatalogPackageVersionType, {
    description: withErrors('Marks a version deprecated: still installable, and install says why not to. Author, tenant admins, super admins', STATUS_ERRORS),
  })
  deprecateCatalogPackageVersion(@Ctx() ctx: GraphQLContext, @Args(() => VersionStatusChangeArgs) args: VersionStatusChangeArgs): Promise<VersionView> {
    return ctx.catalog.deprecateVersion(ctx.caller, args.packageId, args);
  }

  @Mutation(() => CatalogPackageVersionType, {
    description: withErrors('Withdraws a version: never served again (install answers VERSION_WITHDRAWN). Author, tenant admins, super admins', STATUS_ERRORS),
  })
  withdrawCatalogPackageVersion(@Ctx() ctx: GraphQLContext, @Args(() => VersionStatusChangeArgs) args: VersionStatusChangeArgs): Promise<VersionView> {
    return ctx.catalog.withdrawVersion(ctx.caller, args.packageId, args);
  }

  @Mutation(() => CatalogPackageVersionType, {
    description: withErrors('Restores a deprecated or withdrawn version to active. Author, tenant admins, super admins', STATUS_ERRORS),
  })
  restoreCatalogPackageVersion(@Ctx() ctx: GraphQLContext, @Args(() => VersionRefArgs) args: VersionRefArgs): Promise<VersionView> {
    return ctx.catalog.restoreVersion(ctx.caller, args.packageId, args);
  }

  @Mutation(() => CatalogPackageType, {
    description: withErrors('Publishes a version, creating the package on its first one; an `Idempotency-Key` header makes a retry safe', [
      'BAD_USER_INPUT',
      'FLOW_COMPILE_FAILED',
      'FLOW_CONTAINS_SECRETS',
      'VERSION_REGRESSION',
      'CONFLICT',
      'QUOTA_EXCEEDED',
      'FORBIDDEN',
      'NOT_FOUND',
      'FLOW_SOURCE_UNAVAILABLE',
      'PAYLOAD_TOO_LARGE',
      'IDEMPOTENCY_KEY_REUSED',
    ]),
  })
  publishCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => PublishCatalogPackageInput, { description: 'The version to publish' }) input: PublishCatalogPackageInput,
  ): Promise<PackageView> {
    return ctx.catalog.publishPackage(ctx.caller, { ...input }, ctx.request);
  }

  @Mutation(() => CatalogInstallResultType, {
    description: withErrors('The flow of a version (the default version unless one is asked for), ready to import; counts an install', [
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'VERSION_WITHDRAWN',
      'FORBIDDEN',
    ]),
  })
  installCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('version', () => String, { nullable: true, description: 'Default: the default version (the highest installable release)' }) version?: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
    @Arg('parameters', () => GraphQLJSON, { nullable: true, description: 'Values of the declared parameters, by name, stamped into the copy' })
    parameters?: Record<string, unknown>,
    @Arg('credentialBindings', () => [CatalogCredentialBindingInput], { nullable: true, description: 'Which credential each credential slot is to use' })
    credentialBindings?: CatalogCredentialBindingInput[],
    @Arg('channel', () => String, {
      nullable: true,
      description: 'A release channel: installs its version (metadata.channel records it); not with version; NOT_FOUND when the package has no such channel',
    })
    channel?: string,
  ): Promise<InstallResult> {
    const bindings = credentialBindings?.map(({ slot, credential }) => ({ slot, credential }));
    return ctx.catalog.installPackage(ctx.caller, packageId, { version, channel, tenantId, parameters, credentialBindings: bindings });
  }

  @Mutation(() => CatalogPackageType, {
    description: withErrors('Changes who in the tenant sees a package: the author, tenant admins and super admins', [
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'FORBIDDEN',
    ]),
  })
  setCatalogPackageVisibility(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('visibility', () => CatalogVisibility, { description: 'The new visibility' }) visibility: CatalogVisibility,
    @Arg('visibilityGroupIds', () => [ID], { nullable: true, description: 'With GROUPS: the groups that see the package' }) visibilityGroupIds?: string[],
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.setVisibility(ctx.caller, packageId, { visibility, visibilityGroupIds, tenantId });
  }

  @Mutation(() => Boolean, {
    description: withErrors(
      'Deletes a package (true when done): it leaves lists, gets and installs, and a later publish of its id continues its version history. The author, tenant admins and super admins',
      ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN'],
    ),
  })
  async deleteCatalogPackage(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, PACKAGE_ID_ARG) packageId: string,
    @Arg('tenantId', () => ID, TENANT_ARG) tenantId?: string,
  ): Promise<boolean> {
    await ctx.catalog.deletePackage(ctx.caller, packageId, { tenantId });
    return true;
  }

  // The two versions of a package under names that say which is which; the view's names for them
  // are `version` and `latestVersion`, which the schema keeps.
  @FieldResolver(() => String, {
    description:
      'The default version, what install gives without a version: the highest installable (not withdrawn) release, else prerelease; with nothing installable (seen by the author and admins only), the highest version',
  })
  defaultVersion(@Root() pkg: PackageView): string {
    return pkg.version;
  }

  @FieldResolver(() => String, {
    description:
      'The highest version ever published, whatever its status (withdrawn, deprecated, prerelease): the version a publish just got, and what republishing it bumps',
  })
  highestVersion(@Root() pkg: PackageView): string {
    return pkg.latestVersion;
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
    @Arg('first', () => Int, FIRST_ARG) first?: number,
    @Arg('after', () => String, AFTER_ARG) after?: string,
  ): Promise<Connection<VersionView>> {
    // The first page of every package in a list comes from one batched query.
    if (after == null) return ctx.loaders.firstVersions.load({ packageUuid: pkg.id, first, unreleased: pkg.readsUnreleased });
    return ctx.catalog.listVersions(pkg, { first, after });
  }
}

/**
 * `CatalogUpdate.suggestedVersion` (the answer's `latestVersion`) and `newerVersions(first:)`: the
 * update check read at most the largest `first` asked.
 */
@Resolver(() => CatalogUpdateType)
export class CatalogUpdateResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description:
      "The version to suggest to this copy: the package's default version, or for a copy at a prerelease the highest installable version (withdrawn ones never); null when the package is unknown, invisible or has nothing installable",
  })
  suggestedVersion(@Root() update: UpdateAnswer<VersionView>): string | null {
    return update.latestVersion;
  }

  @FieldResolver(() => [CatalogPackageVersionType], { description: 'Installable versions above the installed one, newest first' })
  newerVersions(
    @Root() update: UpdateAnswer<VersionView>,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_NEWER_VERSIONS, description: `How many, 1 to ${MAX_NEWER_VERSIONS}` })
    first: number | null,
  ): VersionView[] {
    // `first` was checked (1 to MAX_NEWER_VERSIONS) before the update check ran: updateSelectionOf.
    return update.newerVersions.slice(0, first ?? DEFAULT_NEWER_VERSIONS);
  }
}
