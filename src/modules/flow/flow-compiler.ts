import { stringify } from 'yaml';
import { FlowCompileError, jsonPath, toProblems, type Problem } from '../../common/errors';
import { FlowGraphSchema, MAX_DEPTH, MAX_FLOW_BYTES, type FlowGraph } from './flow-graph';
import type { Requirements } from './requirements.types';

/** What the manifest says about the package; `version` is the version being published. */
export interface ManifestMeta {
  packageId: string;
  name: string;
  version: string;
  description?: string | null;
  /** What the version needs where it is installed (requirements.ts): `spec.requirements` when given. */
  requirements?: Requirements;
}

type CompileResult = { ok: true; flow: FlowGraph; manifestYaml: string } | { ok: false; problems: Problem[] };

/**
 * The longest problem list we return. Every problem is listed up to this; a pathological input
 * (100k bad nodes in one request) would otherwise turn into a response many times its size.
 */
export const MAX_PROBLEMS = 1000;

const MANIFEST_API_VERSION = 'scaicore.catalog/v1';
const MANIFEST_KIND = 'FlowPackage';

/**
 * Validates a flow and renders its manifest. Lists every problem it finds (schema, graph and size
 * checks all run, even when an earlier one fails), each at a JSON path like `$.nodes[2].id`.
 */
export function compileFlow(content: unknown, meta: ManifestMeta): CompileResult {
  const shapeProblems = checkJsonShape(content);
  const problems = [...shapeProblems, ...checkGraph(content)];

  const parsed = FlowGraphSchema.safeParse(content);
  if (!parsed.success) {
    // A value that is not JSON at all is reported once, by the JSON check, not again by the schema.
    const reported = new Set(shapeProblems.map((p) => p.path));
    problems.push(...toProblems(parsed.error.issues).filter((p) => !reported.has(p.path)));
  }

  if (problems.length > 0 || !parsed.success) return { ok: false, problems: capProblems(sortProblems(problems)) };
  return { ok: true, flow: parsed.data, manifestYaml: renderManifest(parsed.data, meta) };
}

/** Like `compileFlow`, for services: throws `FlowCompileError` with every problem. */
export function assertCompiles(content: unknown, meta: ManifestMeta): { flow: FlowGraph; manifestYaml: string } {
  const result = compileFlow(content, meta);
  if (!result.ok) throw new FlowCompileError(result.problems);
  return { flow: result.flow, manifestYaml: result.manifestYaml };
}

/**
 * The manifest of an already valid flow. Exported so a publish that has to move to another
 * version (a concurrent publish took this one) can re-render it without validating again.
 * Deterministic: no clock, keys sorted, every string double-quoted so that no YAML reader (1.1 or
 * 1.2) mistakes an id like `yes`, `0o17` or `2001-12-14` for a boolean, number or date.
 */
export function renderManifest(flow: FlowGraph, meta: ManifestMeta): string {
  const nodeIds = new Set(flow.nodes.map((node) => node.id));
  const next = new Map<string, Set<string>>();
  const hasIncoming = new Set<string>();
  for (const edge of flow.edges) {
    if (!nodeIds.has(edge.source) || !nodeIds.has(edge.target)) continue;
    if (!next.has(edge.source)) next.set(edge.source, new Set());
    next.get(edge.source)!.add(edge.target);
    // A self-loop does not make a node reachable, so it stays an entrypoint.
    if (edge.source !== edge.target) hasIncoming.add(edge.target);
  }

  const manifest = {
    apiVersion: MANIFEST_API_VERSION,
    kind: MANIFEST_KIND,
    metadata: {
      packageId: meta.packageId,
      name: meta.name,
      version: meta.version,
      ...(meta.description ? { description: meta.description } : {}),
    },
    spec: {
      entrypoints: flow.nodes.map((node) => node.id).filter((nodeId) => !hasIncoming.has(nodeId)),
      nodes: flow.nodes.map((node) => ({
        id: node.id,
        type: node.type,
        ...(typeof node.name === 'string' ? { name: node.name } : {}),
        next: [...(next.get(node.id) ?? [])].sort(compareStrings),
      })),
      counts: { nodes: flow.nodes.length, edges: flow.edges.length },
      ...(meta.requirements ? { requirements: meta.requirements } : {}),
    },
  };
  return stringify(manifest, {
    // An object met twice (two parameters sharing one enum list) is written out twice, never as a YAML alias.
    aliasDuplicateObjects: false,
    sortMapEntries: true,
    lineWidth: 0,
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
  });
}

/** Checks that apply to any JSON value: JSON-only values, no `__proto__` keys, nesting, size. */
function checkJsonShape(content: unknown): Problem[] {
  const problems: Problem[] = [];
  const onPath = new Set<object>();
  // False once JSON.stringify would throw or would not give back what we were handed.
  let measurable = true;

  const walk = (value: unknown, path: PropertyKey[]): void => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) problems.push(problem(path, 'Numbers must be finite'));
      return;
    }
    if (typeof value !== 'object') {
      measurable = false;
      problems.push(problem(path, `A value of type ${typeof value} is not JSON`));
      return;
    }
    if (!Array.isArray(value) && !isPlainObject(value)) {
      // A Date, Map or class instance would not survive the trip through flow.json unchanged.
      measurable = false;
      problems.push(problem(path, 'Only plain JSON objects and arrays are allowed'));
      return;
    }
    if (onPath.has(value)) {
      measurable = false;
      problems.push(problem(path, 'The flow contains itself (a cycle), which JSON cannot hold'));
      return;
    }
    if (path.length >= MAX_DEPTH) {
      problems.push(problem(path, `Nested deeper than ${MAX_DEPTH} levels`));
      return;
    }
    onPath.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...path, index]));
    } else {
      for (const [key, item] of Object.entries(value)) {
        // JSON.parse makes `__proto__` an own key; copying it anywhere would set a prototype instead.
        if (key === '__proto__') problems.push(problem([...path, key], 'The key "__proto__" is not allowed'));
        // An undefined property is simply absent in JSON, as JSON.stringify treats it.
        else if (item !== undefined) walk(item, [...path, key]);
      }
    }
    onPath.delete(value);
  };
  walk(content, []);

  if (measurable) {
    const bytes = jsonByteLength(content);
    if (bytes > MAX_FLOW_BYTES) {
      problems.push({ path: '$', message: `The flow is ${Number.isFinite(bytes) ? bytes : 'too many'} bytes of JSON; the limit is ${MAX_FLOW_BYTES}` });
    }
  }
  return problems;
}

function jsonByteLength(content: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(content) ?? '', 'utf8');
  } catch {
    // Only extreme nesting gets here (the walk refused cycles and non-JSON values); it is too big.
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Graph checks, run on the raw input so they still report when the schema check fails too:
 * duplicate node ids, duplicate edge ids, edge ends that name no node.
 */
function checkGraph(content: unknown): Problem[] {
  if (!isRecord(content)) return [];
  const problems: Problem[] = [];
  const nodes = Array.isArray(content.nodes) ? content.nodes : [];
  const edges = Array.isArray(content.edges) ? content.edges : [];

  const nodeIds = reportDuplicates(nodes, 'nodes', 'node', problems);
  reportDuplicates(edges, 'edges', 'edge', problems);

  edges.forEach((edge, index) => {
    if (!isRecord(edge)) return;
    for (const end of ['source', 'target'] as const) {
      const ref = edge[end];
      if (typeof ref === 'string' && !nodeIds.has(ref)) {
        problems.push(problem(['edges', index, end], `Edge ${end} "${ref}" is not the id of a node in this flow`));
      }
    }
  });
  return problems;
}

/** Reports every repeat of an id after its first use; returns the ids seen. */
function reportDuplicates(items: unknown[], field: string, what: string, problems: Problem[]): Set<string> {
  const firstIndex = new Map<string, number>();
  items.forEach((item, index) => {
    if (!isRecord(item) || typeof item.id !== 'string') return;
    const first = firstIndex.get(item.id);
    if (first === undefined) firstIndex.set(item.id, index);
    else problems.push(problem([field, index, 'id'], `Duplicate ${what} id "${item.id}" (first used at ${jsonPath([field, first, 'id'])})`));
  });
  return new Set(firstIndex.keys());
}

/** Stable order for the caller: by path (document order for indexes), then message. */
function sortProblems(problems: Problem[]): Problem[] {
  const key = (path: string) => path.replace(/\[(\d+)\]/g, (_, n: string) => `[${n.padStart(10, '0')}]`);
  return problems
    .map((p) => ({ p, k: key(p.path) }))
    .sort((a, b) => compareStrings(a.k, b.k) || compareStrings(a.p.message, b.p.message))
    .map(({ p }) => p);
}

function capProblems(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const kept = problems.slice(0, MAX_PROBLEMS - 1);
  kept.push({ path: '$', message: `${problems.length - kept.length} more problems not listed` });
  return kept;
}

function problem(path: PropertyKey[], message: string): Problem {
  return { path: jsonPath(path), message };
}

/** Cross-realm (vm contexts, jest): the prototype is null or some realm's Object.prototype. */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Code-unit order: unlike localeCompare it does not depend on the machine's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
