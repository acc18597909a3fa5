import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum CatalogVisibility {
  TENANT = 'tenant',
  GROUPS = 'groups',
}
registerEnumType(CatalogVisibility, { name: 'CatalogVisibility', description: 'Who in the tenant sees a package' });

export enum CatalogVersionStatus {
  ACTIVE = 'active',
  DEPRECATED = 'deprecated',
  WITHDRAWN = 'withdrawn',
}
registerEnumType(CatalogVersionStatus, { name: 'CatalogVersionStatus', description: 'Deprecated versions install; withdrawn ones never' });

// Two ways in for the router: the row id, or the natural key a client already knows.
@Directive('@key(fields: "id")')
@Directive('@key(fields: "tenantId packageId")')
// simpleResolvers: plain fields read the property directly, without type-graphql's per-field
// wrapper; these types are on the hot path of every list and _entities call (docs/PERFORMANCE.md).
@ObjectType('CatalogPackage', { description: 'A flow published as a versioned package in a tenant catalog', simpleResolvers: true })
export class CatalogPackageType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  tenantId!: string;

  @Field({ description: 'Lowercase slug, unique in the tenant' })
  packageId!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field({ description: 'The default version: the highest installable release, else prerelease (what install gives without a version)' })
  version!: string;

  @Field(() => String, { nullable: true })
  readme!: string | null;

  @Field(() => ID)
  authorId!: string;

  @Field(() => String, { nullable: true, description: 'Only for callers in the package tenant and super admins' })
  authorEmail!: string | null;

  @Field(() => CatalogVisibility)
  visibility!: CatalogVisibility;

  @Field(() => [ID], { nullable: true, description: 'Only for the author, tenant admins and super admins' })
  visibilityGroupIds!: string[] | null;

  @Field(() => String, { nullable: true, description: 'The flow this package was last published from' })
  sourceFlowId!: string | null;

  @Field(() => [String], { description: 'Lowercase slugs set at publish' })
  tags!: string[];

  @Field(() => [String], { description: "The distinct node types of the latest version's flow, sorted" })
  nodeTypes!: string[];

  @Field(() => Int, { description: 'Installs of any version' })
  installCount!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@Directive('@shareable')
@ObjectType('PageInfo', { simpleResolvers: true })
export class PageInfoType {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType('CatalogPackageEdge', { simpleResolvers: true })
export class CatalogPackageEdgeType {
  @Field()
  cursor!: string;

  @Field(() => CatalogPackageType)
  node!: CatalogPackageType;
}

@ObjectType('CatalogPackageConnection', { simpleResolvers: true })
export class CatalogPackageConnectionType {
  @Field(() => [CatalogPackageEdgeType])
  edges!: CatalogPackageEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  // A function on the object: GraphQL calls it only when the field is selected (one count query).
  @Field(() => Int, { description: 'Packages matching the filter over all pages (counted only when asked for)' })
  totalCount!: number;
}

export enum CatalogPackageOrder {
  NEWEST = 'NEWEST',
  RECENTLY_UPDATED = 'RECENTLY_UPDATED',
  NAME = 'NAME',
  MOST_INSTALLED = 'MOST_INSTALLED',
  RELEVANCE = 'RELEVANCE',
}
registerEnumType(CatalogPackageOrder, { name: 'CatalogPackageOrder', description: 'Default NEWEST, or RELEVANCE with a query' });

@InputType('CatalogPackageFilter', { description: 'Filters combine with AND; tags and nodeTypes match packages having all of them' })
export class CatalogPackageFilter {
  @Field(() => String, { nullable: true, description: 'Ranked full-text search; the last word also matches as a prefix' })
  query?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => ID, { nullable: true })
  authorId?: string | null;

  @Field(() => [String], { nullable: true })
  nodeTypes?: string[] | null;
}

@InputType('PublishCatalogPackageInput')
export class PublishCatalogPackageInput {
  @Field()
  packageId!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field({ description: 'Semantic version; publishing the latest version again bumps its patch' })
  version!: string;

  @Field(() => String, { nullable: true })
  readme?: string | null;

  @Field(() => String, { nullable: true, description: 'Publish the latest saved content of this flow (needs deploy on it)' })
  flowId?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The flow document (FlowGraph) inline' })
  content?: unknown;

  @Field(() => [String], { nullable: true, description: 'Lowercase slugs, at most 20' })
  tags?: string[] | null;

  @Field(() => String, { nullable: true, description: 'What changed in this version, at most 64 KiB' })
  changelog?: string | null;
}

@ObjectType('CatalogDeprecation', { description: 'Why an installed version is deprecated' })
export class CatalogDeprecationType {
  @Field(() => String, { nullable: true })
  reason!: string | null;
}

@ObjectType('CatalogInstallMetadata', { description: 'The lineage a copy keeps to ask catalogUpdates later' })
export class CatalogInstallMetadataType {
  @Field(() => ID)
  tenantId!: string;

  @Field()
  packageId!: string;

  @Field()
  name!: string;

  @Field()
  version!: string;

  @Field({ description: 'Hex sha256 of the installed archive' })
  sha256!: string;

  @Field(() => String, { nullable: true })
  authorEmail!: string | null;

  @Field(() => CatalogDeprecationType, { nullable: true, description: 'Set when the installed version is deprecated' })
  deprecation!: CatalogDeprecationType | null;
}

@ObjectType('CatalogInstallResult')
export class CatalogInstallResultType {
  @Field(() => GraphQLJSON, { description: 'The flow with a fresh id and a "Copy of" name' })
  flow!: Record<string, unknown>;

  @Field(() => CatalogInstallMetadataType)
  metadata!: CatalogInstallMetadataType;
}

@Directive('@key(fields: "id", resolvable: false)')
@ObjectType('User', { description: 'A user, owned by the users subgraph' })
export class UserRef {
  @Field(() => ID)
  id!: string;
}

@ObjectType('CatalogPackageVersion', { description: 'One published version; never overwritten' })
export class CatalogPackageVersionType {
  @Field()
  version!: string;

  @Field({ description: 'Hex sha256 of the .scaipkg archive' })
  sha256!: string;

  @Field(() => Int)
  sizeBytes!: number;

  @Field(() => ID)
  publisherId!: string;

  @Field()
  publishedAt!: Date;

  @Field(() => CatalogVersionStatus)
  status!: CatalogVersionStatus;

  @Field(() => String, { nullable: true, description: 'Why it was deprecated or withdrawn' })
  statusReason!: string | null;

  @Field(() => String, { nullable: true })
  changelog!: string | null;

  @Field(() => [String], { description: "The distinct node types of this version's flow, sorted" })
  nodeTypes!: string[];

  @Field(() => Int, { description: 'Installs of this version' })
  installCount!: number;
}

@InputType('CatalogInstalledInput', { description: 'An installed copy, as install metadata describes it' })
export class CatalogInstalledInput {
  @Field()
  packageId!: string;

  @Field()
  version!: string;

  @Field(() => ID, { nullable: true, description: "The package's tenant; default the caller's" })
  tenantId?: string | null;
}

@ObjectType('CatalogUpdate', { description: 'Whether an installed copy has a newer version' })
export class CatalogUpdateType {
  @Field()
  packageId!: string;

  @Field()
  installedVersion!: string;

  @Field(() => String, { nullable: true, description: 'null when the package is unknown, invisible or has nothing installable' })
  latestVersion!: string | null;

  @Field()
  updateAvailable!: boolean;

  @Field(() => CatalogVersionStatus, { nullable: true, description: 'null when the installed version is unknown' })
  installedStatus!: CatalogVersionStatus | null;

  @Field(() => [CatalogPackageVersionType], { description: 'Installable versions above the installed one, newest first' })
  newerVersions!: CatalogPackageVersionType[];
}

@ObjectType('CatalogNodeChange')
export class CatalogNodeChangeType {
  @Field(() => ID)
  nodeId!: string;

  @Field(() => GraphQLJSON)
  before!: unknown;

  @Field(() => GraphQLJSON)
  after!: unknown;

  @Field(() => [String], { description: 'JSON pointers (RFC 6901) of the changed fields, relative to the node' })
  changedPaths!: string[];
}

@ObjectType('CatalogFlowDiff', { description: 'What changed between two versions; nodes matched by id' })
export class CatalogFlowDiffType {
  @Field()
  from!: string;

  @Field()
  to!: string;

  @Field(() => [GraphQLJSON])
  nodesAdded!: unknown[];

  @Field(() => [GraphQLJSON])
  nodesRemoved!: unknown[];

  @Field(() => [CatalogNodeChangeType])
  nodesChanged!: CatalogNodeChangeType[];

  @Field(() => [GraphQLJSON])
  edgesAdded!: unknown[];

  @Field(() => [GraphQLJSON])
  edgesRemoved!: unknown[];
}

@ObjectType('CatalogPackageVersionEdge')
export class CatalogPackageVersionEdgeType {
  @Field()
  cursor!: string;

  @Field(() => CatalogPackageVersionType)
  node!: CatalogPackageVersionType;
}

@ObjectType('CatalogPackageVersionConnection')
export class CatalogPackageVersionConnectionType {
  @Field(() => [CatalogPackageVersionEdgeType])
  edges!: CatalogPackageVersionEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

export enum CatalogAuditAction {
  PUBLISH = 'publish',
  VISIBILITY = 'visibility',
  DELETE = 'delete',
  INSTALL = 'install',
  DEPRECATE = 'deprecate',
  WITHDRAW = 'withdraw',
  RESTORE = 'restore',
}
registerEnumType(CatalogAuditAction, { name: 'CatalogAuditAction' });

@ObjectType('CatalogAuditEvent')
export class CatalogAuditEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => CatalogAuditAction)
  action!: CatalogAuditAction;

  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field(() => ID)
  actorId!: string;

  @Field(() => String, { nullable: true })
  actorEmail!: string | null;

  @Field(() => ID)
  actorTenantId!: string;

  @Field(() => GraphQLJSON, { description: 'What changed, e.g. visibility before and after' })
  changes!: Record<string, unknown>;

  @Field()
  occurredAt!: Date;
}

@ObjectType('CatalogAuditEventEdge')
export class CatalogAuditEventEdgeType {
  @Field()
  cursor!: string;

  @Field(() => CatalogAuditEventType)
  node!: CatalogAuditEventType;
}

@ObjectType('CatalogAuditEventConnection')
export class CatalogAuditEventConnectionType {
  @Field(() => [CatalogAuditEventEdgeType])
  edges!: CatalogAuditEventEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
