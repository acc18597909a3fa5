import semver from 'semver';
import type { FlowGraph } from './flow-graph';
import { credentialKindOf } from './node-kinds';
import type { CredentialSlot, NodeRequirement, ParameterDeclaration, Requirements } from './requirements.types';

/**
 * `{{credentials.openai}}` or `{{ credentials.openai.apiKey }}`. Groups: 1 the space after `{{`,
 * 2 the slot name, 3 the field path (`.apiKey`, or empty), 4 the space before `}}`, so that a
 * reference can be rewritten to another name without touching the rest. Not global, so sharing
 * it carries no `lastIndex`: derive a global copy to scan with.
 */
export const CREDENTIAL_REFERENCE = /\{\{(\s*)credentials\.([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z0-9_-]+)*)(\s*)\}\}/;

const CREDENTIAL_REFERENCES = new RegExp(CREDENTIAL_REFERENCE.source, 'g');

/** A whole URL and nothing else: a scheme we can reach, `://`, then no whitespace (prose is not a URL). */
const WEB_URL = /^(?:https?|wss?):\/\/\S+$/i;

/** Digits separated by dots, as `typeVersion` is written (`2`, `2.1`, `1.10.3`). */
const DOTTED_VERSION = /^\d+(?:\.\d+)*$/;

/** Longest runtime range we hand to semver: a real range is a few dozen characters. */
const MAX_RUNTIME_RANGE_LENGTH = 256;

/**
 * What a version needs from the place it is installed into, from its (compiled) flow alone:
 * same flow and declarations, same answer, every list in a fixed order.
 */
export function deriveRequirements(flow: FlowGraph, parameters: ParameterDeclaration[], runtime: string | null): Requirements {
  return {
    nodeTypes: nodeTypesOf(flow),
    credentials: credentialSlotsOf(flow),
    parameters: parameters.map((declaration) => ({ ...declaration, enum: declaration.enum === null ? null : [...declaration.enum] })),
    hosts: hostsOf(flow),
    runtime,
  };
}

/** A semver range semver can read (`>=2.3 <3`, `^2`, `2.x`); blank and overlong text is refused. */
export function validRuntimeRange(value: string): boolean {
  return value.trim() !== '' && value.length <= MAX_RUNTIME_RANGE_LENGTH && semver.validRange(value) !== null;
}

/** Whether a runtime reporting `runtimeVersion` (loosely: `v2.4`, `2.4.1-build7`) satisfies `range`. */
export function satisfiesRuntime(range: string, runtimeVersion: string): boolean {
  const version = semver.coerce(runtimeVersion);
  return version !== null && semver.satisfies(version, range);
}

/** The slot names `text` refers to, in order, repeats included. */
export function credentialNamesIn(text: string): string[] {
  if (!text.includes('{{')) return [];
  return [...text.matchAll(CREDENTIAL_REFERENCES)].map((match) => match[2]!);
}

/**
 * Calls `visit` with every string value under `value` (object keys are not values) and its path
 * from there. The path array is reused from call to call: copy it to keep it.
 */
export function visitStrings(value: unknown, visit: (text: string, path: readonly PropertyKey[]) => void, path: PropertyKey[] = []): void {
  if (typeof value === 'string') {
    visit(value, path);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const entries: Iterable<[PropertyKey, unknown]> = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) {
    path.push(key);
    visitStrings(item, visit, path);
    path.pop();
  }
}

function nodeTypesOf(flow: FlowGraph): NodeRequirement[] {
  const byType = new Map<string, { highest: DottedVersion | null; nodeIds: string[] }>();
  for (const node of flow.nodes) {
    const seen = byType.get(node.type) ?? { highest: null, nodeIds: [] };
    const version = dottedVersion(node['typeVersion']);
    // On a tie the first node in flow order keeps its spelling (`1.0` against `1`).
    if (version !== null && (seen.highest === null || compareVersions(version, seen.highest) > 0)) seen.highest = version;
    seen.nodeIds.push(node.id);
    byType.set(node.type, seen);
  }
  return [...byType.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([type, { highest, nodeIds }]) => ({ type, minVersion: highest?.text ?? null, nodeIds: [...new Set(nodeIds)] }));
}

interface DottedVersion {
  /** Written without leading zeros: `01.2` is `1.2`. */
  text: string;
  segments: string[];
}

/** A `typeVersion` we can compare: a number like `2.1` or a string like `"1.10"`; anything else counts as none. */
function dottedVersion(value: unknown): DottedVersion | null {
  const written = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!DOTTED_VERSION.test(written)) return null;
  const segments = written.split('.').map((segment) => segment.replace(/^0+(?=\d)/, ''));
  return { text: segments.join('.'), segments };
}

/** Segment by segment as numbers of any size (`1.10` > `1.9`); a missing segment is 0. */
function compareVersions(a: DottedVersion, b: DottedVersion): number {
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const x = a.segments[i] ?? '0';
    const y = b.segments[i] ?? '0';
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return compareStrings(x, y);
  }
  return 0;
}

function credentialSlotsOf(flow: FlowGraph): CredentialSlot[] {
  const users = new Map<string, { nodeIds: Set<string>; kinds: Set<string | null> }>();
  for (const node of flow.nodes) {
    visitStrings(node, (text) => {
      for (const name of credentialNamesIn(text)) {
        const slot = users.get(name) ?? { nodeIds: new Set<string>(), kinds: new Set<string | null>() };
        slot.nodeIds.add(node.id);
        slot.kinds.add(credentialKindOf(node.type));
        users.set(name, slot);
      }
    });
  }
  return [...users.entries()]
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([name, { nodeIds, kinds }]) => {
      // Nodes of a type that implies nothing do not overrule the ones that do.
      const implied = [...kinds].filter((kind) => kind !== null);
      return { name, kind: implied.length === 1 ? implied[0]! : null, nodeIds: [...nodeIds] };
    });
}

function hostsOf(flow: FlowGraph): string[] {
  const hosts = new Set<string>();
  visitStrings(flow, (text) => {
    const host = hostOf(text);
    if (host !== null) hosts.add(host);
  });
  return [...hosts].sort(compareStrings);
}

/** `host[:port]` of a string that is, trimmed, one http(s) or ws(s) URL with a literal host. */
function hostOf(text: string): string | null {
  const trimmed = text.trim();
  if (!WEB_URL.test(trimmed)) return null;
  const url = URL.parse(trimmed);
  // A host still to be filled in (`https://{{params.host}}/x`) is not one we can name yet.
  if (url === null || url.host === '' || /[{}]/.test(url.host)) return null;
  return url.host;
}

/** Code-unit order: unlike localeCompare it does not depend on the machine's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
