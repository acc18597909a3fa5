import fc from 'fast-check';
import { canonicalJson } from './package-archive';
import { comparePointers } from '../flow/json-pointer';
import { changedPointers, diffFlows, type FlowLike } from './flow-diff';

const node = (id: string, type: string, config?: unknown) => ({ id, type, ...(config === undefined ? {} : { config }) });
const edge = (source: string, target: string, extra: object = {}) => ({ source, target, ...extra });

describe('diffFlows', () => {
  it('gives empty lists for identical flows', () => {
    const flow = { nodes: [node('a', 'llm.chat', { labels: ['x'] }), node('b', 'tool')], edges: [edge('a', 'b'), edge('a', 'b')] };
    expect(diffFlows(flow, structuredClone(flow))).toEqual({ nodesAdded: [], nodesRemoved: [], nodesChanged: [], edgesAdded: [], edgesRemoved: [] });
  });

  it('matches nodes by id and lists the pointer of every changed field', () => {
    const from = { nodes: [node('keep', 't'), node('old', 't'), node('b', 'llm.chat', { labels: ['x', 'y'], model: 'a' })], edges: [] };
    const to = { nodes: [node('b', 'llm.call', { labels: ['x', 'z', 'w'], temperature: 0 }), node('new', 't'), node('keep', 't')], edges: [] };
    expect(diffFlows(from, to)).toEqual({
      nodesAdded: [node('new', 't')],
      nodesRemoved: [node('old', 't')],
      nodesChanged: [
        {
          nodeId: 'b',
          before: from.nodes[2],
          after: to.nodes[0],
          changedPaths: ['/config/labels/1', '/config/labels/2', '/config/model', '/config/temperature', '/type'],
        },
      ],
      edgesAdded: [],
      edgesRemoved: [],
    });
  });

  it('lists nodes in id order whatever their order in the flow', () => {
    const diff = diffFlows({ nodes: [], edges: [] }, { nodes: [node('c', 't'), node('a', 't'), node('b', 't')], edges: [] });
    expect(diff.nodesAdded.map((n) => (n as { id: string }).id)).toEqual(['a', 'b', 'c']);
  });

  it('compares edges as whole values, duplicates counted', () => {
    const from = { nodes: [], edges: [edge('a', 'b'), edge('a', 'b'), edge('a', 'c', { sourceHandle: 'yes' })] };
    const to = { nodes: [], edges: [edge('a', 'b'), edge('a', 'c', { sourceHandle: 'no' }), edge('a', 'c', { sourceHandle: 'yes' })] };
    const diff = diffFlows(from, to);
    expect(diff.edgesRemoved).toEqual([edge('a', 'b')]);
    expect(diff.edgesAdded).toEqual([edge('a', 'c', { sourceHandle: 'no' })]);
  });

  it('refuses a flow with a repeated node id (compiled flows have none)', () => {
    expect(() => diffFlows({ nodes: [node('a', 't'), node('a', 'u')], edges: [] }, { nodes: [], edges: [] })).toThrow('Duplicate node id "a"');
  });
});

describe('changedPointers', () => {
  it.each([
    ['a leaf replaced', { a: 1 }, { a: 2 }, ['/a']],
    ['an added object, with its leaves', {}, { a: { b: [1] } }, ['/a', '/a/b', '/a/b/0']],
    ['a removed empty array', { a: [] }, {}, ['/a']],
    ['an object replaced by a number', { a: { b: 1 } }, { a: 5 }, ['/a', '/a/b']],
    ['an object replaced by an array with the same keys', { a: { 0: 'x' } }, { a: ['x'] }, ['/a', '/a/0']],
    ['null set to absent', { a: null }, {}, ['/a']],
    ['an array shortened', [1, 2, 3], [1], ['/1', '/2']],
    ['keys needing escapes', { 'a/b': 1, 'c~d': 1 }, { 'a/b': 2, 'c~d': 2 }, ['/a~1b', '/c~0d']],
    ['the whole value', 1, 'x', ['']],
  ])('%s', (_, before, after, expected) => {
    expect(changedPointers(before, after)).toEqual(expected);
  });

  it('orders array indices numerically', () => {
    const before = Array.from({ length: 12 }, () => 0);
    expect(
      changedPointers(
        before,
        before.map(() => 1),
      ),
    ).toEqual(before.map((_, index) => `/${index}`));
    expect(['/b', '/10', '/a/x', '/9', '/a'].sort(comparePointers)).toEqual(['/9', '/10', '/a', '/a/x', '/b']);
  });
});

// Small domains, so that random flows share node ids, keys and edges.
const key = fc.constantFrom('a', 'b', 'labels', '0', '1', '10', 'x/y', 't~1');
const leaf = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom('s', 't'), fc.boolean(), fc.constant(null));
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('json'), { maxLength: 4 }), fc.dictionary(key, tie('json'), { maxKeys: 4 })),
}));
const nodeIds = ['n1', 'n2', 'n3', 'n4', 'n5'];
const randomNode = (id: string) =>
  fc.record(
    {
      id: fc.constant(id),
      type: fc.constantFrom('llm.chat', 'tool'),
      config: fc.dictionary(key, json, { maxKeys: 4 }),
      position: fc.option(json, { nil: undefined }),
    },
    { requiredKeys: ['id', 'type'] },
  );
const randomEdge = fc.record(
  { source: fc.constantFrom(...nodeIds), target: fc.constantFrom(...nodeIds), sourceHandle: fc.constantFrom('out', null), data: json },
  { requiredKeys: ['source', 'target'] },
);

/** Two flows over the same ids: each node absent, kept as is, or different on the other side. */
const flowPair = fc
  .tuple(
    ...nodeIds.map((id) => fc.tuple(fc.option(randomNode(id)), fc.constantFrom('same', 'absent', 'other'), randomNode(id))),
    fc.array(randomEdge, { maxLength: 6 }),
    fc.array(randomEdge, { maxLength: 6 }),
  )
  .map((parts) => {
    const nodes = parts.slice(0, nodeIds.length) as [unknown, string, unknown][];
    const [fromEdges, toEdges] = parts.slice(nodeIds.length) as unknown[][];
    const from: FlowLike = { nodes: nodes.flatMap(([before]) => (before === null ? [] : [before])), edges: fromEdges! };
    const toNodes = nodes.flatMap(([before, fate, other]) =>
      fate === 'absent' ? [] : fate === 'same' && before !== null ? [structuredClone(before)] : [other],
    );
    return { from, to: { nodes: toNodes.reverse(), edges: [...toEdges!, ...fromEdges!.slice(0, 2)] } };
  });

describe('diffFlows properties', () => {
  it('applying the reported changes to `from` gives `to`', () => {
    fc.assert(
      fc.property(flowPair, ({ from, to }) => {
        const diff = diffFlows(from, to);
        const nodes = new Map(from.nodes.map((n) => [idOf(n), n]));
        for (const removed of diff.nodesRemoved) nodes.delete(idOf(removed));
        for (const added of diff.nodesAdded) nodes.set(idOf(added), added);
        for (const change of diff.nodesChanged) {
          expect(applyPointers(change.before, change.changedPaths, change.after)).toEqual(change.after);
          nodes.set(change.nodeId, change.after);
        }
        expect(byId([...nodes.values()])).toEqual(byId([...to.nodes]));

        const edges = [...from.edges];
        for (const removed of diff.edgesRemoved)
          edges.splice(
            edges.findIndex((e) => canonicalJson(e) === canonicalJson(removed)),
            1,
          );
        expect(sortedKeys([...edges, ...diff.edgesAdded])).toEqual(sortedKeys(to.edges));
      }),
      { numRuns: 300 },
    );
  });

  it('finds nothing between a flow and itself', () => {
    fc.assert(
      fc.property(flowPair, ({ from }) => {
        expect(diffFlows(from, structuredClone(from))).toEqual({ nodesAdded: [], nodesRemoved: [], nodesChanged: [], edgesAdded: [], edgesRemoved: [] });
      }),
      { numRuns: 200 },
    );
  });

  it('lists a pointer exactly when the values differ, in document order', () => {
    fc.assert(
      fc.property(json, json, (before, after) => {
        const paths = changedPointers(before, after);
        expect(paths.length === 0).toBe(canonicalJson(before) === canonicalJson(after));
        expect([...paths].sort(comparePointers)).toEqual(paths);
        expect(applyPointers(before, paths, after)).toEqual(after);
      }),
      { numRuns: 1000 },
    );
  });
});

const idOf = (n: unknown) => (n as { id: string }).id;
const byId = (nodes: unknown[]) => [...nodes].sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1));
const sortedKeys = (items: readonly unknown[]) => items.map((item) => canonicalJson(item)).sort();

/**
 * Copies onto `before` the value `after` has at each pointer, and deletes those `after` does not
 * have (deepest first, so an array only ever loses its last item).
 */
function applyPointers(before: unknown, paths: string[], after: unknown): unknown {
  let result = structuredClone(before);
  const missing: string[][] = [];
  for (const tokens of paths.map(tokensOf)) {
    const target = lookup(after, tokens);
    if (!target.found) missing.push(tokens);
    else if (tokens.length === 0) result = structuredClone(target.value);
    else (lookup(result, tokens.slice(0, -1)).value as Record<string, unknown>)[tokens.at(-1)!] = structuredClone(target.value);
  }
  for (const tokens of missing.reverse()) {
    // Nothing to delete where a parent was replaced by a value of another kind.
    if (!lookup(result, tokens).found) continue;
    const parent = lookup(result, tokens.slice(0, -1)) as { value: object };
    if (Array.isArray(parent.value)) {
      expect(Number(tokens.at(-1))).toBe(parent.value.length - 1);
      parent.value.pop();
    } else delete (parent.value as Record<string, unknown>)[tokens.at(-1)!];
  }
  return result;
}

function tokensOf(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function lookup(value: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  let current = value;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, token)) return { found: false };
    current = (current as Record<string, unknown>)[token];
  }
  return { found: true, value: current };
}
