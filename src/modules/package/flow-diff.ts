import { comparePointers, escapeToken } from '../flow/json-pointer';
import { stringify } from 'safe-stable-stringify';

/**
 * What changed between two versions of a flow (`catalogPackageDiff`). Nodes are matched by id;
 * edges have no stable identity across edits, so an edge is its whole value (source, target,
 * handles, id, any other field) and duplicates count as many times as they occur.
 *
 * Not jsondiffpatch, although it loads here (jest and the CommonJS build): its JSON Patch formatter
 * gives a sequence of operations, with array indices from a longest-common-subsequence match that
 * are only valid after the operations before them, `move` operations, and a whole added object as
 * one operation. We want the set of changed fields of a node, each array compared position by
 * position, which a short walk gives exactly.
 */

export interface FlowLike {
  nodes: readonly unknown[];
  edges: readonly unknown[];
}

export interface NodeChange {
  nodeId: string;
  before: unknown;
  after: unknown;
  /** RFC 6901 JSON pointers relative to the node, in document order (keys sorted, indices ascending). */
  changedPaths: string[];
}

export interface FlowDiff {
  /** Sorted by node id. */
  nodesAdded: unknown[];
  nodesRemoved: unknown[];
  nodesChanged: NodeChange[];
  /** In the order they appear in `to` (added) or `from` (removed). */
  edgesAdded: unknown[];
  edgesRemoved: unknown[];
}

export function diffFlows(from: FlowLike, to: FlowLike): FlowDiff {
  const before = nodesById(from.nodes);
  const after = nodesById(to.nodes);
  const [fromKeys, toKeys] = [from.edges.map(identity), to.edges.map(identity)];
  const nodesChanged: NodeChange[] = [];
  for (const [nodeId, node] of after) {
    const old = before.get(nodeId);
    if (old === undefined) continue;
    const changedPaths = changedPointers(old, node);
    if (changedPaths.length > 0) nodesChanged.push({ nodeId, before: old, after: node, changedPaths });
  }
  return {
    nodesAdded: [...after].filter(([nodeId]) => !before.has(nodeId)).map(([, node]) => node),
    nodesRemoved: [...before].filter(([nodeId]) => !after.has(nodeId)).map(([, node]) => node),
    nodesChanged,
    edgesAdded: multisetMinus(to.edges, toKeys, fromKeys),
    edgesRemoved: multisetMinus(from.edges, fromKeys, toKeys),
  };
}

/** Nodes sorted by id. A compiled flow has unique node ids; a repeated one here is a bug. */
function nodesById(nodes: readonly unknown[]): Map<string, unknown> {
  const byId = new Map<string, unknown>();
  for (const node of nodes) {
    const id = (node as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw new Error('A flow node has no string id');
    if (byId.has(id)) throw new Error(`Duplicate node id ${JSON.stringify(id)}`);
    byId.set(id, node);
  }
  return new Map([...byId].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The items of `items` left after taking out, one for one, those equal to an item of `minus`, by
 * their keys (`identity`, computed once for each list). Equal means equal JSON whatever the key
 * order: the compact JSON with sorted keys is an item's identity (the archive's indented canonical
 * form gives the same equality at several times the cost).
 */
function multisetMinus(items: readonly unknown[], itemKeys: readonly string[], minusKeys: readonly string[]): unknown[] {
  const available = new Map<string, number>();
  for (const key of minusKeys) available.set(key, (available.get(key) ?? 0) + 1);
  return items.filter((_, index) => {
    const key = itemKeys[index]!;
    const left = available.get(key) ?? 0;
    if (left > 0) available.set(key, left - 1);
    return left === 0;
  });
}

function identity(item: unknown): string {
  const key = stringify(item);
  if (key === undefined) throw new TypeError('A flow edge has no JSON form');
  return key;
}

type Kind = 'absent' | 'primitive' | 'object' | 'array';

function kindOf(value: unknown): Kind {
  if (value === undefined) return 'absent';
  if (Array.isArray(value)) return 'array';
  return value !== null && typeof value === 'object' ? 'object' : 'primitive';
}

/**
 * Pointers of every value that differs, down to the leaves. Where the kind of a value changes
 * (added, removed, or object/array/primitive replaced by another kind) its own pointer is listed
 * and so is every member below it on either side; objects and arrays kept as such are listed only
 * through their changed members. Arrays are compared index by index. Sorted by `comparePointers`.
 */
export function changedPointers(before: unknown, after: unknown): string[] {
  const found = new Set<string>();
  collectChanges(before, after, [], found);
  return [...found].sort(comparePointers);
}

/**
 * `path` holds the keys down to the values compared; a pointer is only written out for a change,
 * so equal subtrees (most of a flow) cost a walk and no strings.
 */
function collectChanges(before: unknown, after: unknown, path: string[], found: Set<string>): void {
  if (before === after) return;
  const kind = kindOf(before);
  if (kind !== kindOf(after)) {
    found.add(pointerOf(path));
    collectMembers(before, path, found);
    collectMembers(after, path, found);
  } else if (kind === 'primitive') {
    found.add(pointerOf(path));
  } else if (kind !== 'absent') {
    for (const key of memberKeys(before, after)) {
      path.push(key);
      collectChanges(memberOf(before, key), memberOf(after, key), path, found);
      path.pop();
    }
  }
}

/** Every pointer strictly below `value`. */
function collectMembers(value: unknown, path: string[], found: Set<string>): void {
  const kind = kindOf(value);
  if (kind !== 'object' && kind !== 'array') return;
  for (const key of memberKeys(value)) {
    path.push(key);
    found.add(pointerOf(path));
    collectMembers(memberOf(value, key), path, found);
    path.pop();
  }
}

function pointerOf(path: readonly string[]): string {
  let pointer = '';
  for (const key of path) pointer += `/${escapeToken(key)}`;
  return pointer;
}

/** Keys of the given objects, or the indices of the longest of the given arrays. */
function memberKeys(first: unknown, second?: unknown): string[] {
  if (Array.isArray(first)) {
    const length = Math.max(first.length, Array.isArray(second) ? second.length : 0);
    return Array.from({ length }, (_, index) => String(index));
  }
  const keys = Object.keys(first as object);
  if (second === undefined) return keys;
  for (const key of Object.keys(second as object)) if (!Object.hasOwn(first as object, key)) keys.push(key);
  return keys;
}

function memberOf(container: unknown, key: string): unknown {
  return Object.hasOwn(container as object, key) ? (container as Record<string, unknown>)[key] : undefined;
}
