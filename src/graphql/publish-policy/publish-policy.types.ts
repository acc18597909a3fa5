import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { PublishPolicyChangeView, PublishPolicyView } from '../../modules/publish-policy/manage-policy';
import { POLICY_MODES, type PolicyMode } from '../../modules/publish-policy/policy-rules';
import { connectionOf } from '../connection';
import { enumType } from '../enum-type';

export const CatalogPolicyMode = enumType('CatalogPolicyMode', POLICY_MODES, 'How a rule of the publish policy acts on a publish that breaks it', {
  dry_run: 'The publish goes through; its answer lists what it broke (policyViolations)',
  enforce: 'The publish is refused with POLICY_VIOLATION, nothing written',
});
export type CatalogPolicyMode = PolicyMode;

const MODE = { description: 'DRY_RUN reports, ENFORCE refuses' } as const;
const NODE_TYPE_PATTERNS =
  'Glob patterns (`*` matches any run of characters, dots included; case-sensitive), e.g. `http.*`, `openai.chat`: 1 to 100, each up to 128 characters';
const HOST_PATTERNS =
  'Lower-case hosts: `api.example.com` (that host only) or `*.example.com` (every host below example.com, not example.com itself): 1 to 100';

@ObjectType('CatalogPolicyPatternRule', { description: 'An allowlist of the publish policy', simpleResolvers: true })
export class CatalogPolicyPatternRuleType {
  @Field(() => [String], { description: 'The patterns: a value matching any of them is allowed' })
  patterns!: string[];

  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@ObjectType('CatalogPolicyMaxNodesRule', { description: 'The most nodes a published flow may have', simpleResolvers: true })
export class CatalogPolicyMaxNodesRuleType {
  @Field(() => Int, { description: 'At most this many nodes (1 to 500)' })
  limit!: number;

  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@ObjectType('CatalogPolicyModeRule', { description: 'A release rule that is on, in a mode', simpleResolvers: true })
export class CatalogPolicyModeRuleType {
  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@ObjectType('CatalogPolicyCoolingOffRule', { description: 'How long a new version waits before it may be released', simpleResolvers: true })
export class CatalogPolicyCoolingOffRuleType {
  @Field(() => Int, { description: 'Minutes (0 to 10080)' })
  minutes!: number;

  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@ObjectType('CatalogPublishPolicy', {
  description: 'A tenant\'s publish policy (docs/API.md, "Publish policies"); a rule that is null is not part of it',
  simpleResolvers: true,
})
export class CatalogPublishPolicyType {
  @Field(() => ID, { description: 'The tenant it governs' })
  tenantId!: string;

  @Field(() => CatalogPolicyPatternRuleType, { nullable: true, description: `Node types a published flow may use. ${NODE_TYPE_PATTERNS}` })
  allowedNodeTypes!: CatalogPolicyPatternRuleType | null;

  @Field(() => CatalogPolicyPatternRuleType, {
    nullable: true,
    description: `Hosts of every http(s) URL anywhere in a node's config. ${HOST_PATTERNS}`,
  })
  allowedHosts!: CatalogPolicyPatternRuleType | null;

  @Field(() => CatalogPolicyMaxNodesRuleType, { nullable: true, description: 'The most nodes a published flow may have' })
  maxNodes!: CatalogPolicyMaxNodesRuleType | null;

  @Field(() => CatalogPolicyModeRuleType, {
    nullable: true,
    description: 'Release rule: under ENFORCE every publish is staged for approval; under DRY_RUN an unstaged publish reports it',
  })
  requireApproval!: CatalogPolicyModeRuleType | null;

  @Field(() => CatalogPolicyModeRuleType, {
    nullable: true,
    description: 'Release rule, stored and returned: a new version reaches stable only when promoted (not applied yet)',
  })
  explicitPromotion!: CatalogPolicyModeRuleType | null;

  @Field(() => CatalogPolicyCoolingOffRuleType, {
    nullable: true,
    description: 'Release rule, stored and returned: how long a new version cools off before it may join stable (not applied yet)',
  })
  coolingOffMinutes!: CatalogPolicyCoolingOffRuleType | null;

  @Field(() => Date, { nullable: true, description: 'When it was last set; null when the tenant never set one (no rules)' })
  updatedAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'Who last set it; null when the tenant never set one' })
  updatedBy!: string | null;
}

@InputType('CatalogPolicyPatternRuleInput', { description: 'An allowlist' })
export class CatalogPolicyPatternRuleInput {
  @Field(() => [String], { description: 'The patterns (see CatalogPublishPolicy.allowedNodeTypes and allowedHosts)' })
  patterns!: string[];

  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@InputType('CatalogPolicyMaxNodesRuleInput', { description: 'The most nodes a published flow may have' })
export class CatalogPolicyMaxNodesRuleInput {
  @Field(() => Int, { description: '1 to 500' })
  limit!: number;

  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@InputType('CatalogPolicyModeRuleInput', { description: 'Turns a release rule on, in a mode' })
export class CatalogPolicyModeRuleInput {
  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@InputType('CatalogPolicyCoolingOffRuleInput', { description: 'How long a new version cools off' })
export class CatalogPolicyCoolingOffRuleInput {
  @Field(() => Int, { description: 'Minutes, 0 to 10080' })
  minutes!: number;

  @Field(() => CatalogPolicyMode, MODE)
  mode!: CatalogPolicyMode;
}

@InputType('CatalogPublishPolicyInput', { description: 'The whole policy: it replaces the current one, and a rule left out (or null) is removed' })
export class CatalogPublishPolicyInput {
  @Field(() => CatalogPolicyPatternRuleInput, { nullable: true, description: 'Node types a published flow may use' })
  allowedNodeTypes?: CatalogPolicyPatternRuleInput | null;

  @Field(() => CatalogPolicyPatternRuleInput, { nullable: true, description: "Hosts of every http(s) URL in any node's config" })
  allowedHosts?: CatalogPolicyPatternRuleInput | null;

  @Field(() => CatalogPolicyMaxNodesRuleInput, { nullable: true, description: 'The most nodes a published flow may have' })
  maxNodes?: CatalogPolicyMaxNodesRuleInput | null;

  @Field(() => CatalogPolicyModeRuleInput, { nullable: true, description: 'Release rule: ENFORCE stages every publish for approval' })
  requireApproval?: CatalogPolicyModeRuleInput | null;

  @Field(() => CatalogPolicyModeRuleInput, { nullable: true, description: 'Release rule (stored, not applied yet)' })
  explicitPromotion?: CatalogPolicyModeRuleInput | null;

  @Field(() => CatalogPolicyCoolingOffRuleInput, { nullable: true, description: 'Release rule (stored, not applied yet)' })
  coolingOffMinutes?: CatalogPolicyCoolingOffRuleInput | null;
}

@ObjectType('CatalogPolicyViolation', { description: "A rule of the tenant's publish policy a publish broke, and where", simpleResolvers: true })
export class CatalogPolicyViolationType {
  @Field({ description: 'allowedNodeTypes, allowedHosts or maxNodes' })
  rule!: string;

  @Field({ description: 'JSON pointer into the flow: /nodes/3/type, /nodes/2/config/url, or /nodes (maxNodes)' })
  path!: string;

  @Field({ description: 'What is wrong, for people' })
  message!: string;
}

@ObjectType('CatalogPublishPolicyChange', { description: 'One change of a publish policy: who, when, the rules before and after', simpleResolvers: true })
export class CatalogPublishPolicyChangeType {
  @Field(() => ID, { description: 'Opaque id' })
  id!: string;

  @Field(() => ID, { description: 'Who set it' })
  actorId!: string;

  @Field(() => String, { nullable: true, description: 'Their email, when the token had one' })
  actorEmail!: string | null;

  @Field(() => ID, { description: "The actor's own tenant (a super admin's differs)" })
  actorTenantId!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The rules before, as stored (modes lower-case: dry_run, enforce); null when none had been set' })
  from!: Record<string, unknown> | null;

  @Field(() => GraphQLJSON, { description: 'The rules after, as stored' })
  to!: Record<string, unknown>;

  @Field({ description: 'When' })
  changedAt!: Date;
}

@ObjectType('CatalogPublishPolicyChangeConnection', { simpleResolvers: true, description: 'A page of publish policy changes, newest first' })
export class CatalogPublishPolicyChangeConnectionType extends connectionOf(CatalogPublishPolicyChangeType, {
  typeName: 'CatalogPublishPolicyChange',
  item: 'policy change',
  cursor: 'Pass as `after` to continue after this change',
}) {}

type FieldsOfView<Type, View> = [Exclude<keyof Type, keyof View>] extends [never] ? true : { notInTheView: Exclude<keyof Type, keyof View> };
/** Every field a type declares is a field of its view (`changes` is a field resolver). */
export const POLICY_TYPES_MATCH_VIEWS: [
  FieldsOfView<CatalogPublishPolicyType, PublishPolicyView>,
  FieldsOfView<CatalogPublishPolicyChangeType, PublishPolicyChangeView>,
] = [true, true];
