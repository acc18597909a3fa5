import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { PARAMETER_TYPES } from '../../modules/flow/requirements.types';

const PARAMETER_TYPE_LIST = PARAMETER_TYPES.join(', ');

@ObjectType('CatalogNodeRequirement', { simpleResolvers: true, description: 'A node type the flow uses' })
class CatalogNodeRequirementType {
  @Field({ description: 'The node type, e.g. llm.chat' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'The highest typeVersion a node of this type carries; null when none carries one' })
  minVersion!: string | null;

  @Field(() => [ID], { description: 'The nodes of this type, in flow order (empty for versions published before requirements were derived)' })
  nodeIds!: string[];
}

@ObjectType('CatalogCredentialSlot', { simpleResolvers: true, description: 'A credential the flow refers to as {{credentials.<name>}}, bound at install' })
class CatalogCredentialSlotType {
  @Field({ description: 'The name in the reference' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'The credential kind the node types using it imply (e.g. openai), or null' })
  kind!: string | null;

  @Field(() => [ID], { description: 'The nodes that use it, in flow order' })
  nodeIds!: string[];
}

@ObjectType('CatalogParameter', { simpleResolvers: true, description: 'A value the installer gives, used in the flow as {{params.<name>}}' })
class CatalogParameterType {
  @Field({ description: 'The name in the reference' })
  name!: string;

  @Field({ description: `One of ${PARAMETER_TYPE_LIST}` })
  type!: string;

  @Field(() => String, { nullable: true, description: 'What it is for' })
  description!: string | null;

  @Field({ description: 'Whether install must give a value (unless there is a default)' })
  required!: boolean;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value used when install gives none' })
  default!: unknown;

  @Field(() => [String], { nullable: true, description: 'The allowed values of an enum parameter' })
  enum!: string[] | null;

  @Field(() => String, { nullable: true, description: 'A regular expression a string value must match in full' })
  pattern!: string | null;
}

@ObjectType('CatalogRequirements', { simpleResolvers: true, description: 'What a version needs where it is installed, derived from its flow at publish' })
export class CatalogRequirementsType {
  @Field(() => [CatalogNodeRequirementType], { description: 'Every node type the flow uses, sorted' })
  nodeTypes!: CatalogNodeRequirementType[];

  @Field(() => [CatalogCredentialSlotType], { description: 'Every distinct credential reference, sorted by name' })
  credentials!: CatalogCredentialSlotType[];

  @Field(() => [CatalogParameterType], { description: 'The parameters declared at publish, in their order' })
  parameters!: CatalogParameterType[];

  @Field(() => [String], { description: 'The hosts of URL-valued strings in the flow, sorted' })
  hosts!: string[];

  @Field(() => String, { nullable: true, description: 'The semver range the target runtime must satisfy, as published' })
  runtime!: string | null;
}

@ObjectType('CatalogProvenance', { simpleResolvers: true, description: 'Who published a version, from what, with which checks: signed by the catalog' })
export class CatalogProvenanceType {
  @Field(() => GraphQLJSON, { description: 'An in-toto Statement v1: the archive (name, sha256) and the facts of its publish' })
  statement!: Record<string, unknown>;

  @Field({ description: 'Base64url Ed25519 signature of the DSSE encoding of the statement (docs/API.md, "Provenance")' })
  signature!: string;

  @Field({ description: 'The signing key: a kid of GET /.well-known/catalog-keys' })
  keyId!: string;
}

@InputType('CatalogParameterInput', { description: 'A parameter the flow uses as {{params.<name>}}' })
export class CatalogParameterInput {
  @Field({ description: 'Letters, digits and _, starting with a letter or _ (at most 64)' })
  name!: string;

  @Field({ description: `One of ${PARAMETER_TYPE_LIST}` })
  type!: string;

  @Field(() => String, { nullable: true, description: 'What it is for' })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether install must give a value; default false' })
  required?: boolean | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value used when install gives none; of the parameter type' })
  default?: unknown;

  @Field(() => [String], { nullable: true, description: 'For enum: the allowed values' })
  enum?: string[] | null;

  @Field(() => String, { nullable: true, description: 'For string: a regular expression the value must match in full' })
  pattern?: string | null;
}
