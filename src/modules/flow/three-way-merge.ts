import { EdgeIdentities, endsOf, missingEnd } from './merge/edges';
import { collect, Findings } from './merge/findings';
import { copyOf, isJsonObject, jsonEqual, memberOf, objectOf, type JsonObject } from './merge/json-values';
import { assemble, listOf, matchItems, mergeMatched, nodeKeys, type Matched } from './merge/matching';
import { mergeObjects } from './merge/merge-values';

/**
 * Upgrading a copy of a flow: upstream's changes from the version the copy was installed from
 * (`base`) to a newer one (`theirs`) applied to the copy as its user has it (`ours`), the copy's
 * own edits kept. docs/FLOW-FORMAT.md, "Upgrading a copy: the three-way merge", gives the rules
 * and worked examples.
 */

export const MERGE_CONFLICT_KINDS = [
  'BOTH_CHANGED',
  'DELETED_LOCALLY_CHANGED_UPSTREAM',
  'CHANGED_LOCALLY_DELETED_UPSTREAM',
  'ADDED_BOTH_DIFFERENTLY',
  'EDGE_TO_REMOVED_NODE',
] as const;
export type MergeConflictKind = (typeof MERGE_CONFLICT_KINDS)[number];

export const MERGE_CHANGE_KINDS = ['NODE_ADDED', 'NODE_REMOVED', 'VALUE_CHANGED', 'EDGE_ADDED', 'EDGE_REMOVED'] as const;
export type MergeChangeKind = (typeof MERGE_CHANGE_KINDS)[number];

/**
 * An upstream change left out: merged holds ours' value at `path`. `base`, `ours` and `theirs`
 * are `undefined` where that side has nothing there (over GraphQL, which has no undefined, absent
 * shows as null; JSON null itself is never used for absent).
 */
export interface MergeConflict {
  kind: MergeConflictKind;
  /**
   * The node concerned, `path` then relative to it (`''` the node itself); null for edges and the
   * flow's own fields, `path` then into the flow. EDGE_TO_REMOVED_NODE names the missing node
   * here while `path` is the edge's (`/edges/...`).
   */
  nodeId: string | null;
  /** RFC 6901 JSON pointer. */
  path: string;
  base: unknown;
  ours: unknown;
  theirs: unknown;
}

/** An upstream change applied to the copy. */
export interface MergeChange {
  kind: MergeChangeKind;
  nodeId: string | null;
  path: string;
  /** What merged now holds at `path`: the node, the edge, the value (a set array as merged); undefined when removed. */
  value: unknown;
}

export interface MergeResult {
  merged: Record<string, unknown>;
  /**
   * Item by item: nodes (ours' order, then theirs' others, then base's), then edges (the same),
   * then the flow's own fields; each item's own in document order of `path`.
   */
  conflicts: MergeConflict[];
  applied: MergeChange[];
  /** Ours differs from base anywhere (deep JSON equality; the order of nodes and edges counts). */
  locallyModified: boolean;
  upstreamChanged: boolean;
}

interface Outcome {
  merged: JsonObject | undefined;
  findings: Findings;
}

const NODE_KINDS = { added: 'NODE_ADDED', removed: 'NODE_REMOVED' } as const;
const EDGE_KINDS = { added: 'EDGE_ADDED', removed: 'EDGE_REMOVED' } as const;

/** Pure: never throws on JSON input, never changes its inputs, and shares no object with them. */
export function mergeFlows(base: Record<string, unknown>, ours: Record<string, unknown>, theirs: Record<string, unknown>): MergeResult {
  const [b, o, t] = [base, ours, theirs].map((flow) => (isJsonObject(flow) ? flow : {})) as [JsonObject, JsonObject, JsonObject];

  const listsOf = (field: string) => [b, o, t].map((flow) => listOf(memberOf(flow, field))) as [unknown[], unknown[], unknown[]];

  const nodeMatching = matchItems(...listsOf('nodes'), nodeKeys);
  const nodes = new Map<string, Outcome>();
  for (const item of nodeMatching.matched) {
    const findings = new Findings(item.key);
    nodes.set(item.key, { merged: mergeMatched(item, '', findings, NODE_KINDS), findings });
  }
  // Deleted upstream and untouched locally: gone, unless an edge the copy keeps still needs it.
  const removedUpstream = new Map(
    nodeMatching.matched.filter((item) => item.base && item.ours && !item.theirs && jsonEqual(item.ours, item.base)).map((item) => [item.key, item]),
  );
  const mayHold = (nodeId: string) => nodes.get(nodeId)?.merged !== undefined || removedUpstream.has(nodeId);

  const identities = new EdgeIdentities();
  const edgeMatching = matchItems(...listsOf('edges'), identities.keysOf);
  const edges = new Map<string, Outcome>();
  for (const item of edgeMatching.matched) edges.set(item.key, mergeEdge(item, identities.pathOf(item.key), mayHold));

  for (const { merged } of edges.values()) {
    for (const end of merged ? endsOf(merged) : []) {
      const node = removedUpstream.get(end);
      if (node) nodes.set(end, keptForItsEdges(node));
    }
  }

  const flowFindings = new Findings(null);
  const fields = mergeObjects(withoutGraph(b), withoutGraph(o), withoutGraph(t), '', flowFindings);
  const graph = { nodes: assemble(nodeMatching, (id) => nodes.get(id)!.merged), edges: assemble(edgeMatching, (key) => edges.get(key)!.merged) };

  return {
    merged: inOursOrder(o, t, { ...fields, ...graph }),
    ...collect([...[...nodes.values(), ...edges.values()].map((outcome) => outcome.findings), flowFindings]),
    locallyModified: !jsonEqual(o, b),
    upstreamChanged: !jsonEqual(t, b),
  };
}

/**
 * An upstream version of an edge (added, or changed) that leads to or from a node merged cannot
 * hold, one the copy deleted, is not applied at all: merged keeps ours' edge, or none.
 */
function mergeEdge(item: Matched, path: string, mayHold: (nodeId: string) => boolean): Outcome {
  const findings = new Findings(null);
  const { base, ours, theirs } = item;
  // Where ours has the very same edge the copy made the same change itself: nothing to leave out.
  const missing = theirs && !jsonEqual(theirs, base) && !jsonEqual(theirs, ours) ? missingEnd(theirs, mayHold) : undefined;
  if (missing === undefined) return { merged: mergeMatched(item, path, findings, EDGE_KINDS), findings };
  findings.conflict(path, base, ours, theirs, 'EDGE_TO_REMOVED_NODE', missing);
  return { merged: copyOf(ours), findings };
}

/** The copy wired a node upstream deleted (a new edge, or a changed one kept): the node stays, in conflict. */
function keptForItsEdges(node: Matched): Outcome {
  const findings = new Findings(node.key);
  findings.conflict('', node.base, node.ours, undefined, 'CHANGED_LOCALLY_DELETED_UPSTREAM');
  return { merged: copyOf(node.ours), findings };
}

/** The flow's keys as objects merge them: ours' in ours' order, then those only theirs has. */
function inOursOrder(ours: JsonObject, theirs: JsonObject, values: JsonObject): JsonObject {
  const keys = [...Object.keys(ours), ...Object.keys(theirs).filter((key) => !Object.hasOwn(ours, key))];
  return objectOf(keys.filter((key) => Object.hasOwn(values, key)).map((key) => [key, values[key]]));
}

function withoutGraph(flow: JsonObject): JsonObject {
  return objectOf(Object.entries(flow).filter(([key]) => key !== 'nodes' && key !== 'edges'));
}
