import fc from 'fast-check';
import { mergeFlows, type MergeResult } from './three-way-merge';

type Json = any;

const node = (id: string, config: Json = {}, extra: Json = {}) => ({ id, type: 'llm.chat', config, ...extra });
const flowOf = (nodes: Json[], edges: Json[] = [], extra: Json = {}) => ({ id: 'flow_1', name: 'Support', nodes, edges, ...extra });

/** The three worked examples of docs/FLOW-FORMAT.md, "Upgrading a copy: the three-way merge", with the same data. */
describe('mergeFlows: the worked examples', () => {
  const start = { id: 'start', type: 'trigger.webhook' };
  const triage = node('triage', { prompt: 'Classify the ticket.', temperature: 0.2 });
  const kb = { id: 'kb', type: 'kb.search', config: { index: 'faq' } };
  const e1 = { id: 'e1', source: 'start', target: 'triage' };
  const e2 = { id: 'e2', source: 'triage', target: 'kb' };
  const base = flowOf([start, triage, kb], [e1, e2]);

  it('1. a prompt both sides changed stays the copy’s, while upstream’s new temperature on the same node is applied', () => {
    const ours = flowOf([start, node('triage', { prompt: 'Classify the ticket. Answer in French.', temperature: 0.2 }), kb], [e1, e2]);
    const theirs = flowOf([start, node('triage', { prompt: 'Classify the ticket by urgency.', temperature: 0 }), kb], [e1, e2]);
    expect(mergeFlows(base, ours, theirs)).toEqual({
      merged: flowOf([start, node('triage', { prompt: 'Classify the ticket. Answer in French.', temperature: 0 }), kb], [e1, e2]),
      conflicts: [
        {
          kind: 'BOTH_CHANGED',
          nodeId: 'triage',
          path: '/config/prompt',
          base: 'Classify the ticket.',
          ours: 'Classify the ticket. Answer in French.',
          theirs: 'Classify the ticket by urgency.',
        },
      ],
      applied: [{ kind: 'VALUE_CHANGED', nodeId: 'triage', path: '/config/temperature', value: 0 }],
      locallyModified: true,
      upstreamChanged: true,
    });
  });

  it('2. a node the copy deleted and upstream changed stays deleted, in conflict', () => {
    const ours = flowOf([start, triage], [e1]);
    const kbV2 = { ...kb, config: { index: 'faq-v2' } };
    const theirs = flowOf([start, triage, kbV2], [e1, e2]);
    const result = mergeFlows(base, ours, theirs);
    expect(result.merged).toEqual(ours);
    expect(result.conflicts).toEqual([{ kind: 'DELETED_LOCALLY_CHANGED_UPSTREAM', nodeId: 'kb', path: '', base: kb, ours: undefined, theirs: kbV2 }]);
    // e2 upstream did not change: deleted with its node, nothing to say.
    expect(result.applied).toEqual([]);
  });

  it('3. a new upstream node wired to one the copy removed is added, its edge is not', () => {
    const ours = flowOf([start, triage], [e1]);
    const rerank = { id: 'rerank', type: 'llm.rerank' };
    const wire = { source: 'kb', sourceHandle: 'out', target: 'rerank' };
    const theirs = flowOf([start, triage, kb, rerank], [e1, e2, wire]);
    const result = mergeFlows(base, ours, theirs);
    expect(result.merged).toEqual(flowOf([start, triage, rerank], [e1]));
    expect(result.applied).toEqual([{ kind: 'NODE_ADDED', nodeId: 'rerank', path: '', value: rerank }]);
    expect(result.conflicts).toEqual([
      { kind: 'EDGE_TO_REMOVED_NODE', nodeId: 'kb', path: '/edges/kb:out>rerank', base: undefined, ours: undefined, theirs: wire },
    ]);
  });
});

describe('mergeFlows: values', () => {
  const merge = (base: Json, ours: Json, theirs: Json) => mergeFlows(flowOf([node('n', base)]), flowOf([node('n', ours)]), flowOf([node('n', theirs)]));
  const configOf = (result: MergeResult) => (result.merged.nodes as Json[])[0].config;

  it('merges a list of scalars as a set: each side’s additions and removals, in ours’ order, never a conflict', () => {
    const result = merge({ tags: ['a', 'b', 'c'] }, { tags: ['c', 'a', 'x'] }, { tags: ['a', 'c', 'y', 'x', 1] });
    expect(configOf(result).tags).toEqual(['c', 'a', 'x', 'y', 1]);
    expect(result.conflicts).toEqual([]);
    expect(result.applied).toEqual([{ kind: 'VALUE_CHANGED', nodeId: 'n', path: '/config/tags', value: ['c', 'a', 'x', 'y', 1] }]);
  });

  it('applies an upstream removal from a set the copy also changed', () => {
    const result = merge({ scopes: ['read', 'write'] }, { scopes: ['read', 'write', 'admin'] }, { scopes: ['read'] });
    expect(configOf(result).scopes).toEqual(['read', 'admin']);
    expect(result.conflicts).toEqual([]);
  });

  it('reports no change for a set upstream changed as the copy did', () => {
    const result = merge({ tags: ['a'] }, { tags: ['b'] }, { tags: ['b'] });
    expect(configOf(result).tags).toEqual(['b']);
    expect(result).toMatchObject({ conflicts: [], applied: [] });
  });

  it('merges arrays of objects of one length element by element', () => {
    const result = merge({ steps: [{ a: 1 }, { a: 2 }] }, { steps: [{ a: 10 }, { a: 2 }] }, { steps: [{ a: 1 }, { a: 20 }] });
    expect(configOf(result).steps).toEqual([{ a: 10 }, { a: 20 }]);
    expect(result.applied).toEqual([{ kind: 'VALUE_CHANGED', nodeId: 'n', path: '/config/steps/1/a', value: 20 }]);
  });

  it('takes an array of objects whose length changed as one value', () => {
    const theirs = [{ a: 1 }, { a: 2 }, { a: 3 }];
    expect(configOf(merge({ steps: [{ a: 1 }, { a: 2 }] }, { steps: [{ a: 1 }, { a: 2 }] }, { steps: theirs })).steps).toEqual(theirs);
    const result = merge({ steps: [{ a: 1 }, { a: 2 }] }, { steps: [{ a: 10 }, { a: 2 }] }, { steps: theirs });
    expect(configOf(result).steps).toEqual([{ a: 10 }, { a: 2 }]);
    expect(result.conflicts).toEqual([
      { kind: 'BOTH_CHANGED', nodeId: 'n', path: '/config/steps', base: [{ a: 1 }, { a: 2 }], ours: [{ a: 10 }, { a: 2 }], theirs },
    ]);
  });

  it('takes arrays of objects both sides added as one value, whatever their lengths', () => {
    const result = merge({}, { steps: [{ a: 1 }] }, { steps: [{ a: 1, b: 2 }] });
    expect(configOf(result).steps).toEqual([{ a: 1 }]);
    expect(result.conflicts).toEqual([
      { kind: 'BOTH_CHANGED', nodeId: 'n', path: '/config/steps', base: undefined, ours: [{ a: 1 }], theirs: [{ a: 1, b: 2 }] },
    ]);
  });

  it('takes a value whose kind changed (object, array, scalar) as one value', () => {
    const result = merge({ retry: { count: 3 } }, { retry: { count: 5 } }, { retry: 3 });
    expect(configOf(result).retry).toEqual({ count: 5 });
    expect(result.conflicts).toEqual([{ kind: 'BOTH_CHANGED', nodeId: 'n', path: '/config/retry', base: { count: 3 }, ours: { count: 5 }, theirs: 3 }]);
    // Base held a number: both objects are new values, not edits of one object.
    const bothReplaced = merge({ retry: 3 }, { retry: { count: 5 } }, { retry: { count: 5, delay: 1 } });
    expect(configOf(bothReplaced).retry).toEqual({ count: 5 });
    expect(bothReplaced.conflicts).toEqual([
      { kind: 'BOTH_CHANGED', nodeId: 'n', path: '/config/retry', base: 3, ours: { count: 5 }, theirs: { count: 5, delay: 1 } },
    ]);
    const upstreamOnly = merge({ retry: { count: 3 } }, { retry: { count: 3 } }, { retry: [3] });
    expect(configOf(upstreamOnly).retry).toEqual([3]);
    expect(upstreamOnly.applied).toEqual([{ kind: 'VALUE_CHANGED', nodeId: 'n', path: '/config/retry', value: [3] }]);
  });

  it('takes an object upstream deleted out whole, and keeps it whole when the copy changed inside it', () => {
    expect(configOf(merge({ retry: { count: 3, delay: 1 } }, { retry: { count: 3, delay: 1 } }, {}))).toEqual({});
    const result = merge({ retry: { count: 3, delay: 1 } }, { retry: { count: 5, delay: 1 } }, {});
    expect(configOf(result)).toEqual({ retry: { count: 5, delay: 1 } });
    expect(result.conflicts).toEqual([
      { kind: 'BOTH_CHANGED', nodeId: 'n', path: '/config/retry', base: { count: 3, delay: 1 }, ours: { count: 5, delay: 1 }, theirs: undefined },
    ]);
  });

  it('lists nothing where both sides made the same change, whatever the key order', () => {
    const result = merge({ model: 'a', opts: { x: 1 } }, { opts: { y: 2, x: 1 }, model: 'b' }, { model: 'b', opts: { x: 1, y: 2 } });
    expect(configOf(result)).toEqual({ model: 'b', opts: { x: 1, y: 2 } });
    expect(result).toMatchObject({ conflicts: [], applied: [] });
  });

  it('merges objects both sides added key by key', () => {
    const result = merge({}, { retry: { count: 3, delay: 1 } }, { retry: { count: 4, jitter: true } });
    expect(configOf(result).retry).toEqual({ count: 3, delay: 1, jitter: true });
    expect(result.conflicts).toEqual([{ kind: 'BOTH_CHANGED', nodeId: 'n', path: '/config/retry/count', base: undefined, ours: 3, theirs: 4 }]);
  });

  it('keeps ours’ keys in ours’ order, then upstream’s new ones in theirs’ order, and escapes keys in paths', () => {
    const result = merge({ b: 1, a: 1 }, { a: 1, b: 1 }, { 'z/1': 1, b: 1, 'y~': 2, a: 1 });
    expect(Object.keys(configOf(result))).toEqual(['a', 'b', 'z/1', 'y~']);
    expect(result.applied.map((change) => change.path)).toEqual(['/config/y~0', '/config/z~11']);
  });

  it('merges the flow’s own fields with absolute paths and no node', () => {
    const base = flowOf([node('n')], [], { config: { timeout: 30, retries: 1 } });
    const ours = flowOf([node('n')], [], { config: { timeout: 60, retries: 1 } });
    const theirs = flowOf([node('n')], [], { config: { timeout: 45, retries: 2 }, description: 'New' });
    const result = mergeFlows(base, ours, theirs);
    expect(result.merged).toEqual(flowOf([node('n')], [], { config: { timeout: 60, retries: 2 }, description: 'New' }));
    expect(result.conflicts).toEqual([{ kind: 'BOTH_CHANGED', nodeId: null, path: '/config/timeout', base: 30, ours: 60, theirs: 45 }]);
    expect(result.applied).toEqual([
      { kind: 'VALUE_CHANGED', nodeId: null, path: '/config/retries', value: 2 },
      { kind: 'VALUE_CHANGED', nodeId: null, path: '/description', value: 'New' },
    ]);
  });
});

describe('mergeFlows: nodes and edges', () => {
  it('removes a node upstream deleted that the copy left as it was, and keeps one the copy changed', () => {
    const base = flowOf([node('a'), node('b'), node('c')]);
    const ours = flowOf([node('a'), node('b'), node('c', { x: 1 })]);
    const result = mergeFlows(base, ours, flowOf([node('a')]));
    expect(result.merged.nodes).toEqual([node('a'), node('c', { x: 1 })]);
    expect(result.applied).toEqual([{ kind: 'NODE_REMOVED', nodeId: 'b', path: '', value: undefined }]);
    expect(result.conflicts).toEqual([
      { kind: 'CHANGED_LOCALLY_DELETED_UPSTREAM', nodeId: 'c', path: '', base: node('c'), ours: node('c', { x: 1 }), theirs: undefined },
    ]);
  });

  it('keeps a node both sides added alike once, and ours of one they added differently', () => {
    const base = flowOf([node('a')]);
    const result = mergeFlows(base, flowOf([node('a'), node('same'), node('new', { v: 1 })]), flowOf([node('new', { v: 2 }), node('a'), node('same')]));
    expect(result.merged.nodes).toEqual([node('a'), node('same'), node('new', { v: 1 })]);
    expect(result.conflicts).toEqual([
      { kind: 'ADDED_BOTH_DIFFERENTLY', nodeId: 'new', path: '', base: undefined, ours: node('new', { v: 1 }), theirs: node('new', { v: 2 }) },
    ]);
  });

  it('matches edges without an id by their ends and merges their fields', () => {
    const edge = (extra: Json = {}) => ({ source: 'a', target: 'b', sourceHandle: null, ...extra });
    const nodes = [node('a'), node('b')];
    const base = flowOf(nodes, [edge({ condition: 'x' }), { id: 'e/1', source: 'b', target: 'a' }]);
    const ours = flowOf(nodes, [{ id: 'e/1', source: 'b', target: 'a', label: 'back' }, edge({ condition: 'x' })]);
    const theirs = flowOf(nodes, [
      { source: 'a', target: 'b', condition: 'y' },
      { source: 'b', sourceHandle: 'no:1', target: 'a', targetHandle: 'in' },
    ]);
    const result = mergeFlows(base, ours, theirs);
    expect(result.merged.edges).toEqual([
      { id: 'e/1', source: 'b', target: 'a', label: 'back' },
      { source: 'a', target: 'b', condition: 'y' },
      { source: 'b', sourceHandle: 'no:1', target: 'a', targetHandle: 'in' },
    ]);
    expect(result.conflicts).toEqual([
      { kind: 'CHANGED_LOCALLY_DELETED_UPSTREAM', nodeId: null, path: '/edges/e~11', base: base.edges[1], ours: ours.edges[0], theirs: undefined },
    ]);
    expect(result.applied).toEqual([
      { kind: 'VALUE_CHANGED', nodeId: null, path: '/edges/a>b/condition', value: 'y' },
      { kind: 'VALUE_CHANGED', nodeId: null, path: '/edges/a>b/sourceHandle', value: undefined },
      { kind: 'EDGE_ADDED', nodeId: null, path: '/edges/b:no\\:1>a:in', value: theirs.edges[1] },
    ]);
  });

  it('matches parallel edges without ids in order of appearance', () => {
    const nodes = [node('a'), node('b')];
    const base = flowOf(nodes, [
      { source: 'a', target: 'b', condition: 'x' },
      { source: 'a', target: 'b', condition: 'y' },
    ]);
    const theirs = flowOf(nodes, [
      { source: 'a', target: 'b', condition: 'x' },
      { source: 'a', target: 'b', condition: 'z' },
    ]);
    const result = mergeFlows(base, structuredClone(base), theirs);
    expect(result.merged).toEqual(theirs);
    expect(result.applied).toEqual([{ kind: 'VALUE_CHANGED', nodeId: null, path: '/edges/a>b#1/condition', value: 'z' }]);
  });

  it('lists nodes first (merged order, then nodes merged lacks), then edges, then the flow’s fields; each in document order', () => {
    const base = flowOf([node('b', { z: 1, a: 1 }), node('a'), node('gone')], [{ id: 'e', source: 'a', target: 'b' }], { config: { t: 1 } });
    const ours = flowOf([node('a'), node('b', { z: 2, a: 2 })], [{ id: 'e', source: 'a', target: 'b', x: 1 }], { config: { t: 2 } });
    const theirs = flowOf([node('new'), node('gone', { v: 2 }), node('b', { z: 3, a: 3 }), node('a')], [{ id: 'e', source: 'a', target: 'b', x: 2 }], {
      config: { t: 3 },
    });
    const result = mergeFlows(base, ours, theirs);
    expect(result.conflicts.map(({ nodeId, path }) => [nodeId, path])).toEqual([
      ['b', '/config/a'],
      ['b', '/config/z'],
      ['gone', ''],
      [null, '/edges/e/x'],
      [null, '/config/t'],
    ]);
    expect(result.applied.map(({ nodeId, path }) => [nodeId, path])).toEqual([['new', '']]);
  });

  it('keeps a node upstream deleted while an edge the copy added still leads to it', () => {
    const base = flowOf([node('a'), node('b')]);
    const ours = flowOf([node('a'), node('b')], [{ id: 'mine', source: 'a', target: 'b' }]);
    const result = mergeFlows(base, ours, flowOf([node('a')]));
    expect(result.merged).toEqual(ours);
    expect(result.applied).toEqual([]);
    expect(result.conflicts).toEqual([
      { kind: 'CHANGED_LOCALLY_DELETED_UPSTREAM', nodeId: 'b', path: '', base: node('b'), ours: node('b'), theirs: undefined },
    ]);
  });

  it('leaves out an upstream change to an edge whose node the copy removed, keeping the copy’s edge', () => {
    const base = flowOf([node('a'), node('b'), node('c')], [{ id: 'e', source: 'a', target: 'b' }]);
    const ours = flowOf([node('a'), node('b')], [{ id: 'e', source: 'a', target: 'b' }]);
    const theirs = flowOf([node('a'), node('b'), node('c')], [{ id: 'e', source: 'a', target: 'c', condition: 'x' }]);
    const result = mergeFlows(base, ours, theirs);
    expect(result.merged.edges).toEqual([{ id: 'e', source: 'a', target: 'b' }]);
    expect(result.conflicts).toEqual([
      { kind: 'EDGE_TO_REMOVED_NODE', nodeId: 'c', path: '/edges/e', base: base.edges[0], ours: ours.edges[0], theirs: theirs.edges[0] },
    ]);
  });

  it('never throws on odd JSON: missing lists, nodes without ids, non-objects', () => {
    const odd = { nodes: [{ type: 'x' }, 3, { id: 'a', type: 't' }, { id: 'a', type: 'dup' }], edges: 'none' } as Json;
    const result = mergeFlows({}, odd, { nodes: [{ id: 'b' }], edges: [{ source: 'b' }, null] });
    expect(result.merged).toEqual({ nodes: [{ type: 'x' }, 3, { id: 'a', type: 't' }, { id: 'a', type: 'dup' }, { id: 'b' }], edges: [{ source: 'b' }] });
    expect(() => mergeFlows(null as Json, [] as Json, 'x' as Json)).not.toThrow();
  });
});

/*
 * The properties: a random base flow and two random edit scripts applied to it independently give
 * ours and theirs. Each script records what it touched, so that the properties know what each side
 * changed without asking the code under test. Small domains of keys, ids and values make the two
 * sides meet often.
 */

const scalar = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom('s', 't', 'u'), fc.boolean(), fc.constant(null));
const KEYS = ['a', 'b', 'prompt', 'x/y', 't~1'];
const scalarSet = fc.uniqueArray(scalar, { maxLength: 4, comparator: 'SameValueZero' });
const objectList = fc.array(fc.dictionary(fc.constantFrom('p', 'q'), scalar, { minKeys: 1, maxKeys: 2 }), { minLength: 1, maxLength: 3 });
const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom(...KEYS), fc.oneof({ depthSize: 'small', maxDepth: 3 }, scalar, scalarSet, objectList, tie('tree')), { maxKeys: 3 }),
}));
const anyValue = fc.oneof(scalar, scalarSet, objectList, tree);
const nodeContent = fc.record({ type: fc.constantFrom('llm.chat', 'tool'), config: tree });

const NODE_IDS = ['n0', 'n1', 'n2', 'n3', 'n4'];
const baseFlow = fc
  .record({
    nodes: fc.uniqueArray(fc.record({ id: fc.constantFrom(...NODE_IDS), content: nodeContent }), { minLength: 1, maxLength: 5, selector: (n) => n.id }),
    edges: fc.array(
      fc.record({ from: fc.nat(), to: fc.nat(), withId: fc.boolean(), handle: fc.constantFrom(undefined, 'out'), condition: fc.option(scalar) }),
      {
        maxLength: 6,
      },
    ),
    config: tree,
  })
  .map(({ nodes, edges, config }) => {
    const flow: Json = { id: 'flow_1', name: 'Flow', nodes: nodes.map(({ id, content }) => ({ id, ...content })), edges: [], config };
    edges.forEach(({ from, to, withId, handle, condition }, index) => {
      const edge: Json = { ...(withId ? { id: `e${index}` } : {}), source: flow.nodes[from % nodes.length].id, target: flow.nodes[to % nodes.length].id };
      if (handle !== undefined) edge.sourceHandle = handle;
      if (condition !== null) edge.condition = condition;
      if (!flow.edges.some((other: Json) => identityOf(other) === identityOf(edge))) flow.edges.push(edge);
    });
    return flow;
  });

const OPS = [
  'leaf',
  'addKey',
  'removeKey',
  'addElement',
  'removeElement',
  'appendObject',
  'removeObject',
  'addNode',
  'removeNode',
  'addEdge',
  'removeEdge',
] as const;
const edit = fc.record({
  op: fc.constantFrom(...OPS),
  pick: fc.nat({ max: 999 }),
  other: fc.nat({ max: 999 }),
  key: fc.constantFrom(...KEYS),
  scalar,
  value: anyValue,
  node: nodeContent,
  withId: fc.boolean(),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;
const script = fc.array(edit, { maxLength: 8 });

/** A place one side edited: inside a node, an edge or the flow's own fields; `element` for one member of a set. */
interface Touch {
  scope: 'node' | 'edge' | 'flow';
  id: string;
  pointer: string;
  element?: { value: unknown };
}

/** An edge's identity as the docs define it: its id, else its ends. */
function identityOf(edge: Json): string {
  if (typeof edge.id === 'string' && edge.id !== '') return `id:${edge.id}`;
  return `ends:${JSON.stringify([edge.source, edge.sourceHandle ?? null, edge.target, edge.targetHandle ?? null])}`;
}

interface Slot {
  scope: Touch['scope'];
  id: string;
  tokens: string[];
  container: Json;
  key: string | number;
  value: Json;
}

const PROTECTED: Record<Touch['scope'], string[]> = {
  node: ['id'],
  edge: ['id', 'source', 'target', 'sourceHandle', 'targetHandle'],
  flow: ['id', 'nodes', 'edges'],
};
const isScalarValue = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);
const isObjectValue = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every member of the flow an edit can aim at, in document order, with the object holding it. */
function slotsOf(flow: Json): { slots: Slot[]; objects: Omit<Slot, 'key' | 'container'>[] } {
  const slots: Slot[] = [];
  const objects: Omit<Slot, 'key' | 'container'>[] = [];
  const walk = (scope: Touch['scope'], id: string, value: Json, tokens: string[]) => {
    if (isObjectValue(value)) {
      objects.push({ scope, id, tokens, value });
      for (const key of Object.keys(value)) {
        if (tokens.length === 0 && PROTECTED[scope].includes(key)) continue;
        slots.push({ scope, id, tokens: [...tokens, key], container: value, key, value: value[key] });
        walk(scope, id, value[key], [...tokens, key]);
      }
    } else if (Array.isArray(value) && !value.every(isScalarValue)) {
      value.forEach((item, index) => walk(scope, id, item, [...tokens, String(index)]));
    }
  };
  for (const n of flow.nodes) walk('node', n.id, n, []);
  for (const e of flow.edges) walk('edge', identityOf(e), e, []);
  walk('flow', '', flow, []);
  return { slots, objects };
}

const pointerOf = (tokens: string[]) => tokens.map((token) => `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
const tokensOf = (pointer: string) =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));

function lookup(value: Json, tokens: string[]): Json {
  let current = value;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, token)) return undefined;
    current = current[token];
  }
  return current;
}

function valueAt(flow: Json, { scope, id, pointer }: Touch): Json {
  const root = scope === 'flow' ? flow : scope === 'node' ? flow.nodes.find((n: Json) => n.id === id) : flow.edges.find((e: Json) => identityOf(e) === id);
  return root === undefined ? undefined : lookup(root, tokensOf(pointer));
}

/**
 * Applies the script to a copy of base. Additions use names base never had (fresh keys, node ids,
 * edge ids, set members), so that a side never re-creates in another place what base had.
 */
function applyScript(base: Json, edits: Edit[]): { flow: Json; touched: Touch[] } {
  const flow = structuredClone(base);
  const touched: Touch[] = [];
  const touch = (scope: Touch['scope'], id: string, tokens: string[]) => touched.push({ scope, id, pointer: pointerOf(tokens) });
  const touchElement = (slot: Slot, element: unknown) =>
    touched.push({ scope: slot.scope, id: slot.id, pointer: pointerOf(slot.tokens), element: { value: element } });
  const inBase = (slot: { scope: Touch['scope']; id: string; tokens: string[] }) =>
    valueAt(base, { scope: slot.scope, id: slot.id, pointer: pointerOf(slot.tokens) });
  const choose = <T>(items: T[], pick: number): T | undefined => (items.length === 0 ? undefined : items[pick % items.length]);

  for (const step of edits) {
    const { slots, objects } = slotsOf(flow);
    switch (step.op) {
      case 'leaf': {
        const slot = choose(
          slots.filter((s) => isScalarValue(s.value)),
          step.pick,
        );
        if (!slot) break;
        slot.container[slot.key] = step.scalar;
        touch(slot.scope, slot.id, slot.tokens);
        break;
      }
      case 'addKey': {
        const target = choose(objects, step.pick);
        if (!target || Object.hasOwn(target.value, step.key) || Object.hasOwn(inBase(target) ?? {}, step.key)) break;
        target.value[step.key] = structuredClone(step.value);
        touch(target.scope, target.id, [...target.tokens, step.key]);
        break;
      }
      case 'removeKey': {
        const slot = choose(
          slots.filter((s) => isObjectValue(s.container)),
          step.pick,
        );
        if (!slot) break;
        delete slot.container[slot.key];
        touch(slot.scope, slot.id, slot.tokens);
        break;
      }
      case 'addElement': {
        const slot = choose(
          slots.filter((s) => Array.isArray(s.value) && s.value.every(isScalarValue)),
          step.pick,
        );
        const before = slot && inBase(slot);
        if (!slot || slot.value.includes(step.scalar) || (Array.isArray(before) && before.includes(step.scalar))) break;
        slot.value.push(step.scalar);
        touchElement(slot, step.scalar);
        break;
      }
      case 'removeElement': {
        const slot = choose(
          slots.filter((s) => Array.isArray(s.value) && s.value.length > 0 && s.value.every(isScalarValue)),
          step.pick,
        );
        if (!slot) break;
        const [removed] = slot.value.splice(step.other % slot.value.length, 1);
        touchElement(slot, removed);
        break;
      }
      case 'appendObject':
      case 'removeObject': {
        const slot = choose(
          slots.filter((s) => Array.isArray(s.value) && s.value.length > 0 && s.value.every(isObjectValue)),
          step.pick,
        );
        if (!slot) break;
        if (step.op === 'appendObject') slot.value.push({ p: step.scalar });
        else slot.value.splice(step.other % slot.value.length, 1);
        touch(slot.scope, slot.id, slot.tokens);
        break;
      }
      case 'addNode': {
        const id = `m${step.pick % 3}`;
        if (flow.nodes.some((n: Json) => n.id === id)) break;
        flow.nodes.push({ id, ...structuredClone(step.node) });
        touch('node', id, []);
        break;
      }
      case 'removeNode': {
        const removed = choose(flow.nodes, step.pick) as Json;
        if (!removed || flow.nodes.length === 1) break;
        flow.nodes = flow.nodes.filter((n: Json) => n !== removed);
        for (const e of flow.edges.filter((e: Json) => e.source === removed.id || e.target === removed.id)) touch('edge', identityOf(e), []);
        flow.edges = flow.edges.filter((e: Json) => e.source !== removed.id && e.target !== removed.id);
        touch('node', removed.id, []);
        break;
      }
      case 'addEdge': {
        const [from, to] = [choose(flow.nodes, step.pick) as Json, choose(flow.nodes, step.other) as Json];
        const edge: Json = { ...(step.withId ? { id: `f${step.pick % 3}` } : {}), source: from.id, target: to.id };
        if (isScalarValue(step.scalar) && step.scalar !== null) edge.condition = step.scalar;
        const identity = identityOf(edge);
        if ([...flow.edges, ...base.edges].some((e: Json) => identityOf(e) === identity)) break;
        flow.edges.push(edge);
        touch('edge', identity, []);
        break;
      }
      case 'removeEdge': {
        const removed = choose(flow.edges, step.pick) as Json;
        if (!removed) break;
        flow.edges = flow.edges.filter((e: Json) => e !== removed);
        touch('edge', identityOf(removed), []);
        break;
      }
    }
  }
  return { flow, touched };
}

const scenario = fc.tuple(baseFlow, script, script).map(([base, oursScript, theirsScript]) => {
  const ours = applyScript(base, oursScript);
  const theirs = applyScript(base, theirsScript);
  return { base, ours: ours.flow, oursTouched: ours.touched, theirs: theirs.flow, theirsTouched: theirs.touched };
});

const membersOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const isPrefix = (a: string, b: string) => b === a || b.startsWith(`${a}/`);
const related = (x: Touch, y: Touch) =>
  x.scope === y.scope &&
  x.id === y.id &&
  (isPrefix(x.pointer, y.pointer) || isPrefix(y.pointer, x.pointer)) &&
  !(x.element && y.element && x.pointer === y.pointer && x.element.value !== y.element.value);

/**
 * Whether what ours changed from `before` to `after` is still in `merged`. Parts ours left as base
 * had them say nothing; sets need ours' additions present and ours' removals absent, as the other
 * side may add and remove members of its own.
 */
function keepsOurs(before: Json, after: Json, merged: Json): boolean {
  if (JSON.stringify(canonical(after)) === JSON.stringify(canonical(merged))) return true;
  if (JSON.stringify(canonical(after)) === JSON.stringify(canonical(before))) return true;
  if (isObjectValue(after) && isObjectValue(merged)) {
    const keys = new Set([...Object.keys(after), ...Object.keys(isObjectValue(before) ? before : {})]);
    return [...keys].every((key) => keepsOurs(isObjectValue(before) ? before[key] : undefined, after[key], merged[key]));
  }
  if (Array.isArray(after) && Array.isArray(merged) && after.every(isScalarValue) && merged.every(isScalarValue)) {
    const removed = Array.isArray(before) ? before.filter((item) => !after.includes(item)) : [];
    return after.every((item) => merged.includes(item)) && removed.every((item) => !merged.includes(item));
  }
  if (Array.isArray(after) && Array.isArray(before) && Array.isArray(merged) && after.length === before.length && merged.length === after.length)
    return after.every((item, index) => keepsOurs(before[index], item, merged[index]));
  return false;
}

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObjectValue(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

const RUNS = { numRuns: 400 };

describe('mergeFlows properties', () => {
  it('(a) with no local edits, the result is exactly upstream', () => {
    fc.assert(
      fc.property(scenario, ({ base, theirs }) => {
        const result = mergeFlows(base, structuredClone(base), theirs);
        expect(result.merged).toEqual(theirs);
        expect(result.conflicts).toEqual([]);
        expect(result.locallyModified).toBe(false);
      }),
      RUNS,
    );
  });

  it('(b) with no upstream change, the result is exactly the copy, with nothing applied', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours }) => {
        const result = mergeFlows(base, ours, structuredClone(base));
        expect(result.merged).toEqual(ours);
        expect(result.conflicts).toEqual([]);
        expect(result.applied).toEqual([]);
        expect(result.upstreamChanged).toBe(false);
      }),
      RUNS,
    );
  });

  it('(c) no local edit is lost: every place ours changed holds ours’ value in merged', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours, oursTouched, theirs }) => {
        const { merged } = mergeFlows(base, ours, theirs);
        for (const place of oursTouched) {
          if (place.element) {
            const [inOurs, inBase, inMerged] = [ours, base, merged].map((flow) => membersOf(valueAt(flow, place)).includes(place.element!.value));
            if (inOurs !== inBase) expect({ place, inMerged }).toEqual({ place, inMerged: inOurs });
          } else {
            expect({ place, kept: keepsOurs(valueAt(base, place), valueAt(ours, place), valueAt(merged, place)) }).toEqual({ place, kept: true });
          }
        }
      }),
      RUNS,
    );
  });

  it('(d) every upstream edit the copy did not touch is in merged', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours, oursTouched, theirs, theirsTouched }) => {
        const { merged } = mergeFlows(base, ours, theirs);
        const removedLocally = new Set(base.nodes.map((n: Json) => n.id).filter((id: string) => !ours.nodes.some((n: Json) => n.id === id)));
        // Nodes the copy wired anew (an edge it added or changed): upstream deleting one does not remove it.
        const wiredLocally = new Set(
          oursTouched
            .filter((place) => place.scope === 'edge')
            .flatMap((place) => [valueAt(ours, { ...place, pointer: '' })].flatMap((e) => (e ? [e.source, e.target] : []))),
        );
        // An upstream edit lies within every upstream edit above it: one inside an array upstream
        // shortened is only where it was if the copy left that array alone.
        const within = (place: Touch) =>
          theirsTouched.filter((above) => above.scope === place.scope && above.id === place.id && isPrefix(above.pointer, place.pointer));
        for (const place of theirsTouched) {
          if (within(place).some((above) => oursTouched.some((mine) => related(mine, above)))) continue;
          if (place.scope === 'edge') {
            const edge = valueAt(theirs, { ...place, pointer: '' }) ?? valueAt(base, { ...place, pointer: '' });
            if (edge && (removedLocally.has(edge.source) || removedLocally.has(edge.target))) continue;
          }
          if (place.scope === 'node' && wiredLocally.has(place.id) && valueAt(theirs, { ...place, pointer: '' }) === undefined) continue;
          if (place.element) {
            const [inTheirs, inMerged] = [theirs, merged].map((flow) => membersOf(valueAt(flow, place)).includes(place.element!.value));
            expect({ place, inMerged }).toEqual({ place, inMerged: inTheirs });
          } else {
            expect({ place, value: canonical(valueAt(merged, place)) }).toEqual({ place, value: canonical(valueAt(theirs, place)) });
          }
        }
      }),
      RUNS,
    );
  });

  it('(e) lists every conflict once, where merged holds ours’ value, and every change where merged holds its value', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours, theirs }) => {
        const result = mergeFlows(base, ours, theirs);
        const places = result.conflicts.map((conflict) => JSON.stringify([conflict.nodeId, conflict.path]));
        expect(new Set(places).size).toBe(places.length);
        const at = (nodeId: string | null, path: string) =>
          valueAt(result.merged, nodeId === null ? { scope: 'flow', id: '', pointer: path } : { scope: 'node', id: nodeId, pointer: path });
        // Edge paths name an edge by a label this test does not rebuild; the examples above check those.
        const notOfEdges = (entry: { path: string }) => !entry.path.startsWith('/edges/');
        for (const conflict of result.conflicts.filter(notOfEdges)) {
          expect(canonical(at(conflict.nodeId, conflict.path))).toEqual(canonical(conflict.ours));
        }
        for (const change of result.applied.filter(notOfEdges)) {
          expect(canonical(at(change.nodeId, change.path))).toEqual(canonical(change.value));
        }
      }),
      RUNS,
    );
  });

  it('(f) is deterministic and leaves its inputs as they were', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours, theirs }) => {
        const copies = structuredClone([base, ours, theirs]);
        const first = mergeFlows(deepFreeze(base), deepFreeze(ours), deepFreeze(theirs));
        expect(mergeFlows(base, ours, theirs)).toEqual(first);
        expect([base, ours, theirs]).toEqual(copies);
        // The result shares nothing with the (frozen) inputs: changing it throws nowhere and changes no input.
        (first.merged.nodes as Json[]).forEach((n) => (n.changed = true));
        expect([base, ours, theirs]).toEqual(copies);
      }),
      RUNS,
    );
  });

  it('(g) both sides alike give that flow, with no conflict and nothing applied', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours }) => {
        const result = mergeFlows(base, ours, structuredClone(ours));
        expect(result).toMatchObject({ conflicts: [], applied: [] });
        expect(result.merged).toEqual(ours);
      }),
      RUNS,
    );
  });

  it('(h) every edge of merged joins nodes of merged', () => {
    fc.assert(
      fc.property(scenario, ({ base, ours, theirs }) => {
        const { merged } = mergeFlows(base, ours, theirs);
        const nodeIds = new Set((merged.nodes as Json[]).map((n) => n.id));
        expect((merged.edges as Json[]).filter((e) => !nodeIds.has(e.source) || !nodeIds.has(e.target))).toEqual([]);
      }),
      RUNS,
    );
  });
});
