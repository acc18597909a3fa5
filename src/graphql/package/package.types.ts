import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { AUDIT_ACTIONS, type AuditAction } from '../../modules/audit/audit-event';
import type { AuditEventView } from '../../modules/audit/audit.view';
import { VISIBILITIES, type Visibility } from '../../modules/package/package.entity';
import { PACKAGE_ORDERS, type PackageOrder } from '../../modules/package/package-search';
import type { ChannelView, PackageView, VersionView } from '../../modules/package/package.view';
import { VERSION_STATUSES, type VersionStatus } from '../../modules/package/version-status';
import { connectionOf } from '../connection';
import { CatalogPolicyViolationType } from '../publish-policy/publish-policy.types';
import { CatalogCredentialBindingType } from './install-check.types';
import { CatalogParameterInput, CatalogProvenanceType, CatalogRequirementsType } from './requirements.types';
import { enumType } from '../enum-type';

export const CatalogVisibility = enumType('CatalogVisibility', VISIBILITIES, 'Who in the tenant sees a package', {
  tenant: 'Everyone in the tenant',
  groups: 'Members of visibilityGroupIds, the author and tenant admins',
});
export type CatalogVisibility = Visibility;

const CatalogVersionStatus = enumType('CatalogVersionStatus', VERSION_STATUSES, 'Deprecated versions install; withdrawn, staged and rejected ones never', {
  active: 'Installable; may be the default version',
  deprecated: 'Still installable, with a reason not to',
  withdrawn: 'Never served again',
  staged: 'Published for review: shown to its author, tenant admins and approvers, installable once approved',
  rejected: 'Refused in review: kept for the record, never installable',
});
export type CatalogVersionStatus = VersionStatus;

// Two ways in for the router: the row id, or the natural key a client already knows.
@Directive('@key(fields: "id")')
@Directive('@key(fields: "tenantId packageId")')
// simpleResolvers: plain fields read the property directly, without type-graphql's per-field
// wrapper; these types are on the hot path of every list and _entities call (docs/PERFORMANCE.md).
@ObjectType('CatalogPackage', { description: 'A flow published as a versioned package in a tenant catalog', simpleResolvers: true })
export class CatalogPackageType {
  @Field(() => ID, { description: 'Row id (opaque); one of the two entity keys' })
  id!: string;

  @Field(() => ID, { description: 'The tenant the package belongs to' })
  tenantId!: string;

  @Field({ description: 'Lowercase slug, unique in the tenant' })
  packageId!: string;

  @Field({ description: 'Display name' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Short description, or null' })
  description!: string | null;

  @Field({ description: 'Same as defaultVersion: the default version (what install gives without a version), not the highest version' })
  version!: string;

  @Field({
    description: 'Same as highestVersion: the highest version ever published, whatever its status, not the default version',
    deprecationReason: 'Use highestVersion (the same value); for what install gives without a version, use defaultVersion',
  })
  latestVersion!: string;

  // `defaultVersion` and `highestVersion` are field resolvers (CatalogPackageResolver): the names
  // the view has for them are `version` and `latestVersion`.

  @Field(() => String, { nullable: true, description: 'Markdown readme of the highest version, or null' })
  readme!: string | null;

  @Field(() => ID, { description: 'Who published the first version' })
  authorId!: string;

  @Field(() => String, { nullable: true, description: 'Only for callers in the package tenant and super admins' })
  authorEmail!: string | null;

  @Field(() => CatalogVisibility, { description: 'Who in the tenant sees it' })
  visibility!: CatalogVisibility;

  @Field(() => [ID], { nullable: true, description: 'Only for the author, tenant admins and super admins' })
  visibilityGroupIds!: string[] | null;

  @Field(() => String, { nullable: true, description: 'The flow this package was last published from' })
  sourceFlowId!: string | null;

  @Field(() => [String], { description: 'Lowercase slugs set at publish' })
  tags!: string[];

  @Field(() => [String], { description: "The distinct node types of the highest version's flow, sorted" })
  nodeTypes!: string[];

  @Field(() => Int, { description: 'Installs of any version' })
  installCount!: number;

  @Field(() => Int, { description: 'Moves up by one with every change of the package: publish, visibility, version status, quarantine' })
  revision!: number;

  @Field({ description: 'Whether an admin quarantined it: until released, only admins may install, publish to or change it' })
  quarantined!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it is quarantined: for tenant admins and super admins only, else null' })
  quarantineReason!: string | null;

  @Field({ description: 'When the first version was published' })
  createdAt!: Date;

  @Field({ description: 'When the package last changed (any change that moves its revision)' })
  updatedAt!: Date;

  @Field(() => [CatalogPolicyViolationType], {
    description: 'The dry-run violations of the publish policy the publish that answered this was let through with; empty on every other read',
  })
  policyViolations!: CatalogPolicyViolationType[];
}

@ObjectType('CatalogPackageConnection', { simpleResolvers: true, description: 'A page of packages' })
export class CatalogPackageConnectionType extends connectionOf(CatalogPackageType, {
  typeName: 'CatalogPackage',
  item: 'package',
  cursor: 'Pass as `after` to continue after this package (same filter and order only)',
}) {
  // A function on the object: GraphQL calls it only when the field is selected (one count query).
  @Field(() => Int, { description: 'Packages matching the filter over all pages (counted only when asked for)' })
  totalCount!: number;
}

export const CatalogPackageOrder = enumType('CatalogPackageOrder', PACKAGE_ORDERS, 'Default NEWEST, or RELEVANCE with a query', {
  NEWEST: 'Most recently created first',
  RECENTLY_UPDATED: 'Most recently published or changed first',
  NAME: 'By name, A to Z',
  MOST_INSTALLED: 'Most installs first',
  RELEVANCE: 'Best full-text match first; NEWEST without filter.query',
});
export type CatalogPackageOrder = PackageOrder;

@InputType('CatalogPackageFilter', { description: 'Filters combine with AND; tags and nodeTypes match packages having all of them' })
export class CatalogPackageFilter {
  @Field(() => String, { nullable: true, description: 'Ranked full-text search; the last word also matches as a prefix' })
  query?: string | null;

  @Field(() => [String], { nullable: true, description: 'Packages carrying all of these tags' })
  tags?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Packages by this author' })
  authorId?: string | null;

  @Field(() => [String], { nullable: true, description: "Packages whose highest version's flow uses all of these node types" })
  nodeTypes?: string[] | null;
}

@InputType('PublishCatalogPackageInput', { description: 'A package version to publish: from a saved flow (flowId) or inline (content), exactly one' })
export class PublishCatalogPackageInput {
  @Field({ description: 'Lowercase slug, unique in the tenant; a new one creates the package' })
  packageId!: string;

  @Field({ description: 'Display name' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Short description' })
  description?: string | null;

  @Field({ description: 'Semantic version; publishing the highest version again bumps its patch' })
  version!: string;

  @Field(() => String, { nullable: true, description: 'Markdown readme' })
  readme?: string | null;

  @Field(() => String, { nullable: true, description: 'Publish the latest saved content of this flow (needs deploy on it)' })
  flowId?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The flow document (FlowGraph) inline' })
  content?: unknown;

  @Field(() => [String], { nullable: true, description: 'Lowercase slugs, at most 20' })
  tags?: string[] | null;

  @Field(() => String, { nullable: true, description: 'What changed in this version, at most 64 KiB' })
  changelog?: string | null;

  @Field(() => [CatalogParameterInput], { nullable: true, description: 'The parameters the flow uses as {{params.<name>}}, every one of them' })
  parameters?: CatalogParameterInput[] | null;

  @Field(() => String, { nullable: true, description: 'A semver range the target runtime must satisfy, e.g. >=2.3 <3' })
  runtime?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Publish for review: the version is STAGED (seen by its author and reviewers only) until another user approves it',
  })
  stage?: boolean | null;
  @Field(() => String, {
    nullable: true,
    description:
      'The release channel to publish to (a lowercase slug, not a semver range), created on first use; absent or stable: the default version moves as it always does. On another channel the version never becomes the default until promoted',
  })
  channel?: string | null;
}

@ObjectType('CatalogChannel', {
  description: 'A release channel: a named pointer at one installable version; stable is the default version',
  simpleResolvers: true,
})
export class CatalogChannelType {
  @Field({ description: 'Its name: stable, or a lowercase slug such as beta' })
  name!: string;

  @Field({ description: 'The version it points at (an installable one)' })
  version!: string;

  @Field({ description: 'When it was last moved (stable before channels: when its version was published)' })
  updatedAt!: Date;

  @Field(() => ID, { description: 'Who moved it last (stable before channels: who published its version)' })
  updatedBy!: string;
}

@ObjectType('CatalogDeprecation', { description: 'Why an installed (or targeted) version is deprecated' })
export class CatalogDeprecationType {
  @Field(() => String, { nullable: true, description: 'The reason given when it was deprecated' })
  reason!: string | null;
}

@ObjectType('CatalogInstallMetadata', { description: 'The package and version an install came from: the lineage a copy keeps to ask catalogUpdates later' })
class CatalogInstallMetadataType {
  @Field(() => ID, { description: 'The tenant of the package' })
  tenantId!: string;

  @Field({ description: 'The package slug' })
  packageId!: string;

  @Field({ description: 'Display name' })
  name!: string;

  @Field({ description: 'The installed version' })
  version!: string;

  @Field({ description: 'Hex sha256 of the installed archive' })
  sha256!: string;

  @Field(() => String, { nullable: true, description: 'Only for callers in the package tenant and super admins' })
  authorEmail!: string | null;

  @Field(() => String, { nullable: true, description: 'The release channel installed from (pass it to catalogUpdates), null when none was named' })
  channel!: string | null;

  @Field(() => CatalogDeprecationType, { nullable: true, description: 'Set when the installed version is deprecated' })
  deprecation!: CatalogDeprecationType | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'The parameter values stamped into the copy (defaults included); null for an install given no values',
  })
  parameters?: Record<string, unknown>;

  @Field(() => [CatalogCredentialBindingType], { nullable: true, description: 'The credential bindings applied; null for an install given no values' })
  credentialBindings?: CatalogCredentialBindingType[];
}

@ObjectType('CatalogInstallResult', { description: 'A flow ready to import, and what it was installed from' })
export class CatalogInstallResultType {
  @Field(() => GraphQLJSON, { description: 'The flow with a fresh id and a "Copy of" name' })
  flow!: Record<string, unknown>;

  @Field(() => CatalogInstallMetadataType, { description: 'Which package and version this is' })
  metadata!: CatalogInstallMetadataType;
}

@Directive('@key(fields: "id", resolvable: false)')
@ObjectType('User', { description: 'A user, owned by the users subgraph' })
export class UserRef {
  @Field(() => ID, { description: 'The user id (the token subject)' })
  id!: string;
}

@ObjectType('CatalogPackageVersion', { description: 'One published version; never overwritten' })
export class CatalogPackageVersionType {
  @Field({ description: 'Semantic version' })
  version!: string;

  @Field({ description: 'Hex sha256 of the .scaipkg archive' })
  sha256!: string;

  @Field(() => Int, { description: 'Size of the .scaipkg archive' })
  sizeBytes!: number;

  @Field(() => ID, { description: 'Who published this version' })
  publisherId!: string;

  @Field({ description: 'When it was published' })
  publishedAt!: Date;

  @Field(() => CatalogVersionStatus, { description: 'Active, deprecated (still installable) or withdrawn (never served)' })
  status!: CatalogVersionStatus;

  @Field(() => String, { nullable: true, description: 'Why it was deprecated or withdrawn' })
  statusReason!: string | null;

  @Field(() => String, { nullable: true, description: 'What changed in this version, as its publisher wrote it' })
  changelog!: string | null;

  @Field(() => [String], { description: "The distinct node types of this version's flow, sorted" })
  nodeTypes!: string[];

  @Field(() => Int, { description: 'Installs of this version' })
  installCount!: number;

  @Field(() => CatalogRequirementsType, { description: 'What it needs where it is installed, derived from its flow at publish' })
  requirements!: CatalogRequirementsType;

  @Field(() => CatalogProvenanceType, { nullable: true, description: 'Its signed provenance; null for versions published before provenance was signed' })
  provenance!: CatalogProvenanceType | null;
}

@InputType('CatalogInstalledInput', { description: 'An installed copy, as install metadata describes it' })
export class CatalogInstalledInput {
  @Field({ description: 'The package slug from the install metadata' })
  packageId!: string;

  @Field({ description: 'The installed version' })
  version!: string;

  @Field(() => ID, { nullable: true, description: "The package's tenant; default the caller's" })
  tenantId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The channel it was installed from (install metadata's channel): its versions are judged against that channel's; none or stable: the default version's",
  })
  channel?: string | null;
}

@ObjectType('CatalogUpdate', { description: 'Whether an installed copy has a newer version' })
export class CatalogUpdateType {
  @Field({ description: 'The package slug, as asked' })
  packageId!: string;

  @Field({ description: 'The installed version, as asked' })
  installedVersion!: string;

  @Field(() => String, {
    nullable: true,
    description: "Same as suggestedVersion: the version to suggest to this copy, not the package's highest version",
    deprecationReason: 'Use suggestedVersion (the same value)',
  })
  latestVersion!: string | null;

  // `suggestedVersion` is a field resolver (CatalogUpdateResolver): the answer calls it `latestVersion`.

  @Field({ description: 'Whether an installable version above the installed one exists' })
  updateAvailable!: boolean;

  @Field(() => CatalogVersionStatus, { nullable: true, description: 'null when the installed version is unknown' })
  installedStatus!: CatalogVersionStatus | null;

  /** Resolved by `CatalogUpdateResolver.newerVersions(first:)`. */
  newerVersions!: CatalogPackageVersionType[];

  @Field({ description: 'Whether the package is quarantined (installs are refused); false for an unknown or invisible package' })
  quarantined!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it is quarantined: for tenant admins and super admins only, else null' })
  quarantineReason!: string | null;
}

@ObjectType('CatalogNodeChange', { description: 'A node present in both versions whose content changed' })
class CatalogNodeChangeType {
  @Field(() => ID, { description: 'The node id (nodes are matched by id)' })
  nodeId!: string;

  @Field(() => GraphQLJSON, { description: 'The node in the older version' })
  before!: unknown;

  @Field(() => GraphQLJSON, { description: 'The node in the newer version' })
  after!: unknown;

  @Field(() => [String], { description: 'JSON pointers (RFC 6901) of the changed fields, relative to the node' })
  changedPaths!: string[];
}

@ObjectType('CatalogFlowDiff', { description: 'What changed between two versions; nodes matched by id' })
export class CatalogFlowDiffType {
  @Field({ description: 'The older version' })
  from!: string;

  @Field({ description: 'The newer version' })
  to!: string;

  @Field(() => [GraphQLJSON], { description: 'Nodes only in the newer version' })
  nodesAdded!: unknown[];

  @Field(() => [GraphQLJSON], { description: 'Nodes only in the older version' })
  nodesRemoved!: unknown[];

  @Field(() => [CatalogNodeChangeType], { description: 'Nodes in both whose content changed' })
  nodesChanged!: CatalogNodeChangeType[];

  @Field(() => [GraphQLJSON], { description: 'Edges only in the newer version' })
  edgesAdded!: unknown[];

  @Field(() => [GraphQLJSON], { description: 'Edges only in the older version' })
  edgesRemoved!: unknown[];
}

@ObjectType('CatalogPackageVersionConnection', { simpleResolvers: true, description: 'A page of versions' })
export class CatalogPackageVersionConnectionType extends connectionOf(CatalogPackageVersionType, {
  typeName: 'CatalogPackageVersion',
  item: 'version',
  cursor: 'Pass as `after` to continue after this version',
}) {}

const CatalogAuditAction = enumType('CatalogAuditAction', AUDIT_ACTIONS, 'What an audit event records', {
  publish: 'A version was published',
  stage: 'A version was published for review (staged)',
  approve: 'A staged version was approved',
  reject: 'A staged version was rejected',
  visibility: 'The visibility changed',
  delete: 'The package was deleted',
  install: 'A version was installed',
  deprecate: 'A version was deprecated',
  withdraw: 'A version was withdrawn',
  restore: 'A version was restored to active',
  metadata: 'The name, description, readme or tags changed without a new version',
  quarantine: 'The package was quarantined (changes.reason for admins)',
  release: 'The package was released from quarantine',
  channel_set: 'A release channel was pointed at a version (changes.channel, from, to); stable is the default version',
  channel_removed: 'A release channel other than stable was removed (changes.channel, version)',
});
export type CatalogAuditAction = AuditAction;

@ObjectType('CatalogAuditEvent', { description: 'One change to a package, who made it and when' })
class CatalogAuditEventType {
  @Field(() => ID, { description: 'Event id' })
  id!: string;

  @Field(() => CatalogAuditAction, { description: 'What was done' })
  action!: CatalogAuditAction;

  @Field(() => String, { nullable: true, description: 'The version concerned (publish, install), or null' })
  version!: string | null;

  @Field(() => ID, { description: 'Who did it' })
  actorId!: string;

  @Field(() => String, { nullable: true, description: 'Their email, when the token carried one' })
  actorEmail!: string | null;

  @Field(() => ID, { description: "The actor's tenant (a super admin's may differ from the package's)" })
  actorTenantId!: string;

  @Field(() => GraphQLJSON, { description: 'What changed, e.g. visibility before and after' })
  changes!: Record<string, unknown>;

  @Field({ description: 'When' })
  occurredAt!: Date;
}

@ObjectType('CatalogAuditEventConnection', { simpleResolvers: true, description: 'A page of audit events' })
export class CatalogAuditEventConnectionType extends connectionOf(CatalogAuditEventType, {
  typeName: 'CatalogAuditEvent',
  item: 'audit event',
  cursor: 'Pass as `after` to continue after this event',
}) {}

/**
 * Compile-time ties between the GraphQL types and the views the use cases return: every field a
 * type declares is a field of its view, so the schema cannot expose what a view leaves out (field
 * resolvers, such as `versions`, are declared on the resolvers, not here).
 */
type FieldsOfView<Type, View> = [Exclude<keyof Type, keyof View>] extends [never] ? true : { notInTheView: Exclude<keyof Type, keyof View> };
export const GRAPHQL_TYPES_MATCH_VIEWS: [
  FieldsOfView<CatalogPackageType, PackageView>,
  FieldsOfView<CatalogPackageVersionType, VersionView>,
  FieldsOfView<CatalogAuditEventType, AuditEventView>,
  FieldsOfView<CatalogChannelType, ChannelView>,
] = [true, true, true, true];
