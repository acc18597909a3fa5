/**
 * What a version needs from the place it is installed into: derived from its flow at publish (never
 * written by hand), stored with the version and in its archive's manifest. docs/FLOW-FORMAT.md,
 * "Requirements", describes it for people.
 */

export const PARAMETER_TYPES = ['string', 'number', 'boolean', 'enum', 'secret-reference'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** A value the installer gives, referred to in the flow as `{{params.<name>}}`. */
export interface ParameterDeclaration {
  name: string;
  type: ParameterType;
  description: string | null;
  required: boolean;
  /** Of the parameter's type; null when there is none. */
  default: string | number | boolean | null;
  /** The allowed values of an `enum` parameter; null for the other types. */
  enum: string[] | null;
  /** A regular expression a `string` value must match in full; null when any string goes. */
  pattern: string | null;
}

export interface NodeRequirement {
  type: string;
  /** The highest `typeVersion` any node of this type carries, as a string; null when none carries one. */
  minVersion: string | null;
  /** The nodes of this type, in flow order (what a pre-flight problem points at). */
  nodeIds: string[];
}

/** One distinct credential reference such as `{{credentials.openai}}` (or `{{credentials.openai.apiKey}}`). */
export interface CredentialSlot {
  name: string;
  /** The credential kind the node types using it imply, when they all imply the same one. */
  kind: string | null;
  /** The nodes that refer to it, in flow order. */
  nodeIds: string[];
}

export interface Requirements {
  nodeTypes: NodeRequirement[];
  credentials: CredentialSlot[];
  parameters: ParameterDeclaration[];
  /** The hosts (`host[:port]`, lowercase) of URL-valued strings in the flow, sorted. */
  hosts: string[];
  /** A semver range the target runtime must satisfy (`>=2.3 <3`), from the publish input. */
  runtime: string | null;
}
