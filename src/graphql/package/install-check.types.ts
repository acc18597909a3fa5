import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { INSTALL_PROBLEM_CODES, type InstallProblemCode } from '../../modules/package/install-check';
import { enumType } from '../enum-type';

const CatalogInstallProblemCode = enumType('CatalogInstallProblemCode', INSTALL_PROBLEM_CODES, 'Why a version would not run where it is to be installed', {
  MISSING_NODE_TYPE: 'The environment lacks a node type the flow uses',
  NODE_TYPE_TOO_OLD: 'The environment has the node type in a version below the one the flow needs (or does not say which)',
  MISSING_CREDENTIAL: 'No credential of the environment fits a credential slot',
  RUNTIME_INCOMPATIBLE: "The environment's runtime version does not satisfy the version's runtime range (or is not given)",
  PARAMETER_REQUIRED: 'A required parameter without a default has no value in environment.parameters',
});

@InputType('CatalogNodeTypeInput', { description: 'A node type the target has' })
class CatalogNodeTypeInput {
  @Field({ description: 'The node type, e.g. llm.chat' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'Its version; without one, only its presence counts' })
  version?: string | null;
}

@InputType('CatalogCredentialInput', { description: 'A credential the target has' })
class CatalogCredentialInput {
  @Field({ description: 'Its name in the target' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Its kind, e.g. openai' })
  kind?: string | null;
}

@InputType('CatalogEnvironmentInput', { description: 'What the place a copy would be installed into has' })
export class CatalogEnvironmentInput {
  @Field(() => [CatalogNodeTypeInput], { description: 'Its node types (at most 1000)' })
  nodeTypes!: CatalogNodeTypeInput[];

  @Field(() => [CatalogCredentialInput], { description: 'Its credentials (at most 1000)' })
  credentials!: CatalogCredentialInput[];

  @Field(() => String, { nullable: true, description: 'Its runtime version, e.g. 2.4.1' })
  runtimeVersion?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The parameter values install would give, by name' })
  parameters?: Record<string, unknown> | null;
}

@ObjectType('CatalogInstallProblem', { simpleResolvers: true, description: 'One reason a version would not run there' })
export class CatalogInstallProblemType {
  @Field(() => CatalogInstallProblemCode, { description: 'What kind of problem' })
  code!: InstallProblemCode;

  @Field({ description: 'What it is about: the node type, credential slot, parameter or runtime range' })
  subject!: string;

  @Field({ description: 'What is wrong, for people' })
  message!: string;

  @Field(() => [ID], { description: 'The nodes concerned (none for the runtime and parameters)' })
  nodeIds!: string[];
}

@ObjectType('CatalogCredentialBindingProposal', { simpleResolvers: true, description: 'How install would bind a credential slot' })
class CatalogCredentialBindingProposalType {
  @Field({ description: 'The credential slot of the flow' })
  slot!: string;

  @Field(() => String, { nullable: true, description: 'The credential of the environment it binds to; null when none fits' })
  credential!: string | null;

  @Field(() => String, { nullable: true, description: 'kind: the only credential of its kind; name: the one named like the slot' })
  matchedBy!: string | null;
}

@ObjectType('CatalogInstallCheck', { simpleResolvers: true, description: 'Whether a version would run in an environment, and what is missing' })
export class CatalogInstallCheckType {
  @Field({ description: 'The package slug' })
  packageId!: string;

  @Field({ description: 'The version checked: the one asked for, else the default version' })
  version!: string;

  @Field({ description: 'True when there is no problem' })
  installable!: boolean;

  @Field(() => [CatalogInstallProblemType], { description: 'Every problem found' })
  problems!: CatalogInstallProblemType[];

  @Field(() => [CatalogCredentialBindingProposalType], { description: 'The binding each credential slot would get' })
  bindings!: CatalogCredentialBindingProposalType[];

  @Field(() => String, { nullable: true, description: 'When the checked version does not fit: the highest installable version that does' })
  newestCompatibleVersion!: string | null;
}

@InputType('CatalogCredentialBindingInput', { description: 'A credential slot of the flow and the credential it is to use' })
export class CatalogCredentialBindingInput {
  @Field({ description: 'The slot, as requirements.credentials names it' })
  slot!: string;

  @Field({ description: 'The credential to use instead' })
  credential!: string;
}

@ObjectType('CatalogCredentialBinding', { simpleResolvers: true, description: 'A credential slot and the credential an install bound it to' })
export class CatalogCredentialBindingType {
  @Field({ description: 'The slot' })
  slot!: string;

  @Field({ description: 'The credential it was bound to' })
  credential!: string;
}
