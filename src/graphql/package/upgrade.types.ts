import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MERGE_CHANGE_KINDS, MERGE_CONFLICT_KINDS, type MergeChange, type MergeConflict } from '../../modules/flow/three-way-merge';
import { UPGRADE_STATES, type UpgradeState } from '../../modules/package/upgrade-preview';
import { enumType } from '../enum-type';
import { CatalogCredentialBindingInput, CatalogEnvironmentInput, CatalogInstallProblemType } from './install-check.types';
import { CatalogDeprecationType } from './package.types';

const CatalogUpgradeState = enumType('CatalogUpgradeState', UPGRADE_STATES, 'How a copy stands against the target version', {
  UP_TO_DATE: 'At the target version, with no local edits',
  STALE: 'Behind the target version, with no local edits',
  LOCALLY_MODIFIED: 'At the target version, with local edits',
  LOCALLY_MODIFIED_AND_STALE: 'Behind the target version, with local edits',
});

const CatalogMergeConflictKind = enumType('CatalogMergeConflictKind', MERGE_CONFLICT_KINDS, 'Why an upstream change could not be applied', {
  BOTH_CHANGED: 'The copy and upstream changed the same value differently',
  DELETED_LOCALLY_CHANGED_UPSTREAM: 'The copy deleted a node or edge that upstream changed',
  CHANGED_LOCALLY_DELETED_UPSTREAM: 'Upstream deleted a node or edge the copy changed',
  ADDED_BOTH_DIFFERENTLY: 'The copy and upstream both added a node or edge of the same identity, differently',
  EDGE_TO_REMOVED_NODE: 'An upstream edge leads to or from a node the copy removed',
});

const CatalogMergeChangeKind = enumType('CatalogMergeChangeKind', MERGE_CHANGE_KINDS, 'An upstream change applied to the copy', {
  NODE_ADDED: 'A node upstream added',
  NODE_REMOVED: 'A node upstream removed (the copy had not changed it)',
  VALUE_CHANGED: 'A value upstream changed (the copy had not)',
  EDGE_ADDED: 'An edge upstream added',
  EDGE_REMOVED: 'An edge upstream removed',
});

@InputType('CatalogUpgradeInput', { description: 'A copy to upgrade: where it came from, and what it is now' })
export class CatalogUpgradeInput {
  @Field({ description: 'The package slug from the install metadata' })
  packageId!: string;

  @Field(() => ID, { nullable: true, description: "The package's tenant; default the caller's" })
  tenantId?: string | null;

  @Field({ description: 'The version the copy was installed from' })
  fromVersion!: string;

  @Field(() => String, { nullable: true, description: 'The version to upgrade to; default the default version' })
  toVersion?: string | null;

  @Field(() => String, { nullable: true, description: "Not followed by previews yet (BAD_USER_INPUT): give the channel's version as toVersion" })
  channel?: string | null;

  @Field(() => GraphQLJSON, { description: 'The copy as it is now (a FlowGraph), edited or not' })
  copy!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The parameter values its install recorded (metadata.parameters)' })
  parameters?: Record<string, unknown> | null;

  @Field(() => [CatalogCredentialBindingInput], { nullable: true, description: 'The credential bindings its install recorded' })
  credentialBindings?: CatalogCredentialBindingInput[] | null;

  @Field(() => CatalogEnvironmentInput, { nullable: true, description: "Where it runs: the target's install-check problems there come with the answer" })
  environment?: CatalogEnvironmentInput | null;
}

@ObjectType('CatalogMergeConflict', { simpleResolvers: true, description: 'An upstream change left out because the copy changed the same thing' })
class CatalogMergeConflictType {
  @Field(() => CatalogMergeConflictKind, { description: 'What kind of conflict' })
  kind!: MergeConflict['kind'];

  @Field(() => ID, { nullable: true, description: 'The node concerned (for EDGE_TO_REMOVED_NODE the removed node); null for edges and flow-level values' })
  nodeId!: string | null;

  @Field({ description: 'JSON pointer: relative to the node for node conflicts, /edges/<edge> for edges, else into the flow (docs/FLOW-FORMAT.md)' })
  path!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value in the version the copy came from (null when absent)' })
  base!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: "The copy's value, kept in merged (null when absent)" })
  ours!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: "Upstream's value, not applied (null when absent)" })
  theirs!: unknown;
}

@ObjectType('CatalogMergeChange', { simpleResolvers: true, description: 'An upstream change applied to the copy' })
class CatalogMergeChangeType {
  @Field(() => CatalogMergeChangeKind, { description: 'What kind of change' })
  kind!: MergeChange['kind'];

  @Field(() => ID, { nullable: true, description: 'The node concerned; null for edges and flow-level values' })
  nodeId!: string | null;

  @Field({ description: 'JSON pointer: relative to the node when nodeId is set, else into the flow' })
  path!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value applied (null when removed)' })
  value!: unknown;
}

@ObjectType('CatalogUpgradePreview', { simpleResolvers: true, description: 'What upgrading a copy would give; nothing is written' })
export class CatalogUpgradePreviewType {
  @Field({ description: 'The package slug' })
  packageId!: string;

  @Field({ description: 'The version the copy came from' })
  fromVersion!: string;

  @Field({ description: 'The target version' })
  toVersion!: string;

  @Field(() => CatalogUpgradeState, { description: 'Whether the copy has local edits and is behind the target' })
  state!: UpgradeState;

  @Field(() => GraphQLJSON, { description: "The copy with every upstream change applied that does not touch the copy's own edits; its id and name kept" })
  merged!: Record<string, unknown>;

  @Field(() => [CatalogMergeConflictType], { description: 'Every upstream change left out, once each' })
  conflicts!: CatalogMergeConflictType[];

  @Field(() => [CatalogMergeChangeType], { description: 'Every upstream change applied' })
  applied!: CatalogMergeChangeType[];

  @Field(() => [CatalogInstallProblemType], { nullable: true, description: "The target's install-check problems in the environment given; null without one" })
  requirements!: CatalogInstallProblemType[] | null;

  @Field(() => CatalogDeprecationType, { nullable: true, description: 'Set when the target version is deprecated' })
  deprecation!: CatalogDeprecationType | null;
}
