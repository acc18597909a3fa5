import { satisfiesRuntime } from '../flow/requirements';
import type { CredentialSlot, Requirements } from '../flow/requirements.types';

/** What the place a copy would be installed into has (the pre-flight's `environment`). */
export interface TargetEnvironment {
  /** A node type with no version says only that the type exists. */
  nodeTypes: { type: string; version: string | null }[];
  credentials: { name: string; kind: string | null }[];
  runtimeVersion: string | null;
  /** The parameter values install would give; absent: none. */
  parameters: Record<string, unknown> | null;
}

export const INSTALL_PROBLEM_CODES = ['MISSING_NODE_TYPE', 'NODE_TYPE_TOO_OLD', 'MISSING_CREDENTIAL', 'RUNTIME_INCOMPATIBLE', 'PARAMETER_REQUIRED'] as const;
export type InstallProblemCode = (typeof INSTALL_PROBLEM_CODES)[number];

export interface InstallProblem {
  code: InstallProblemCode;
  /** What it is about: the node type, the credential slot, the parameter, or the runtime range. */
  subject: string;
  message: string;
  /** The nodes concerned (none for the runtime and for parameters). */
  nodeIds: string[];
}

/** How a credential slot would be bound: `credential` null when nothing in the environment fits it. */
export interface ProposedBinding {
  slot: string;
  credential: string | null;
  /** `kind`: the only credential of the slot's kind; `name`: the credential named like the slot. */
  matchedBy: 'kind' | 'name' | null;
}

export interface EnvironmentFit {
  problems: InstallProblem[];
  bindings: ProposedBinding[];
}

/**
 * Every way a version's requirements do not fit the environment, and the credential bindings it
 * would get. Unknown is not enough: a node type the environment lists without a version does not
 * satisfy a minimum version, and a runtime range is not satisfied by an environment that does not
 * say its runtime version.
 */
export function fitEnvironment(requirements: Requirements, environment: TargetEnvironment): EnvironmentFit {
  const problems: InstallProblem[] = [];
  const available = new Map(environment.nodeTypes.map((node) => [node.type, node.version]));
  for (const { type, minVersion, nodeIds: ofType } of requirements.nodeTypes) {
    const nodeIds = [...ofType];
    if (!available.has(type)) {
      problems.push({ code: 'MISSING_NODE_TYPE', subject: type, message: `The environment has no node type ${type}`, nodeIds });
      continue;
    }
    const version = available.get(type) ?? null;
    if (minVersion !== null && (version === null || compareTypeVersions(version, minVersion) < 0)) {
      const has = version === null ? 'an unknown version' : `version ${version}`;
      problems.push({ code: 'NODE_TYPE_TOO_OLD', subject: type, message: `${type} ${minVersion} or newer is needed; the environment has ${has}`, nodeIds });
    }
  }

  const bindings = requirements.credentials.map((slot) => proposeBinding(slot, environment.credentials));
  bindings.forEach((binding, index) => {
    if (binding.credential !== null) return;
    const slot = requirements.credentials[index];
    const kind = slot.kind ? ` (kind ${slot.kind})` : '';
    problems.push({ code: 'MISSING_CREDENTIAL', subject: slot.name, message: `No credential fits the slot ${slot.name}${kind}`, nodeIds: [...slot.nodeIds] });
  });

  const { runtime } = requirements;
  if (runtime !== null && (environment.runtimeVersion === null || !satisfiesRuntime(runtime, environment.runtimeVersion))) {
    const has = environment.runtimeVersion === null ? 'does not say its runtime version' : `runs ${environment.runtimeVersion}`;
    problems.push({ code: 'RUNTIME_INCOMPATIBLE', subject: runtime, message: `The runtime must satisfy ${runtime}; the environment ${has}`, nodeIds: [] });
  }

  const given = environment.parameters ?? {};
  for (const parameter of requirements.parameters) {
    if (parameter.required && parameter.default === null && !Object.hasOwn(given, parameter.name)) {
      problems.push({ code: 'PARAMETER_REQUIRED', subject: parameter.name, message: `Install needs a value for the parameter ${parameter.name}`, nodeIds: [] });
    }
  }
  return { problems, bindings };
}

/**
 * A slot binds to the only credential of its kind; failing that, to the credential of its name
 * (unless that one is of another kind).
 */
function proposeBinding(slot: CredentialSlot, credentials: TargetEnvironment['credentials']): ProposedBinding {
  if (slot.kind !== null) {
    const ofKind = credentials.filter((credential) => credential.kind === slot.kind);
    if (ofKind.length === 1) return { slot: slot.name, credential: ofKind[0].name, matchedBy: 'kind' };
  }
  const named = credentials.find(
    (credential) => credential.name === slot.name && (slot.kind === null || credential.kind === null || credential.kind === slot.kind),
  );
  return named ? { slot: slot.name, credential: named.name, matchedBy: 'name' } : { slot: slot.name, credential: null, matchedBy: null };
}

/** Node type versions (`2`, `2.1`, `1.10`) compare by their numeric segments; a missing segment is 0. */
export function compareTypeVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] || 0) - (right[i] || 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** Problems that say the version cannot run there (a missing parameter value is the installer's to give). */
export function isIncompatibility(problem: InstallProblem): boolean {
  return problem.code !== 'PARAMETER_REQUIRED';
}
