import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum CatalogVisibility {
  TENANT = 'tenant',
  GROUPS = 'groups',
}
registerEnumType(CatalogVisibility, { name: 'CatalogVisibility', description: 'Who in the tenant sees a package' });

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

  @Field({ description: 'The latest published version' })
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
}

@ObjectType('CatalogInstallMetadata')
export class CatalogInstallMetadataType {
  @Field()
  packageId!: string;

  @Field()
  name!: string;

  @Field()
  version!: string;

  @Field(() => String, { nullable: true })
  authorEmail!: string | null;
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
