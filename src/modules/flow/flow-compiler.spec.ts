import fc from 'fast-check';
import { parse } from 'yaml';
import { FlowCompileError } from '../../common/errors';
import { assertCompiles, compileFlow, MAX_PROBLEMS, renderManifest, type ManifestMeta } from './flow-compiler';
import { MAX_DEPTH, MAX_EDGES, MAX_FLOW_BYTES, MAX_NODES, type FlowGraph } from './flow-graph';
import type { Requirements } from './requirements.types';

const meta: ManifestMeta = { packageId: 'customer-support', name: 'Customer Support', version: '0.2.0', description: 'Triage + KB' };

function validFlow(): Record<string, unknown> {
  return {
    id: 'flow_abc123',
    name: 'Support',
    description: null,
    version: 3,
    nodes: [
      { id: 'start', type: 'trigger.webhook', name: 'Webhook', position: { x: 0, y: 0 } },
      { id: 'triage', type: 'llm.chat', config: { model: 'gpt', temperature: 0.2 } },
      { id: 'kb', type: 'kb:search' },
      { id: 'done', type: 'end' },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'triage' },
      { id: 'e2', source: 'triage', target: 'kb', sourceHandle: null, condition: 'needs_kb' },
      { id: 'e3', source: 'triage', target: 'done' },
      { id: 'e4', source: 'kb', target: 'done' },
      { source: 'triage', target: 'done', sourceHandle: 'fallback' },
    ],
    config: { retries: 2 },
    metadata: { tags: ['support'] },
  };
}

function problemsOf(content: unknown) {
  const result = compileFlow(content, meta);
  if (result.ok) throw new Error('expected the flow not to compile');
  return result.problems;
}

describe('compileFlow', () => {
  it('compiles a valid flow into a manifest', () => {
    const result = compileFlow(validFlow(), meta);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));

    expect(parse(result.manifestYaml)).toEqual({
      apiVersion: 'scaicore.catalog/v1',
      kind: 'FlowPackage',
      metadata: { packageId: 'customer-support', name: 'Customer Support', version: '0.2.0', description: 'Triage + KB' },
      spec: {
        entrypoints: ['start'],
        nodes: [
          { id: 'start', type: 'trigger.webhook', name: 'Webhook', next: ['triage'] },
          { id: 'triage', type: 'llm.chat', next: ['done', 'kb'] },
          { id: 'kb', type: 'kb:search', next: ['done'] },
          { id: 'done', type: 'end', next: [] },
        ],
        counts: { nodes: 4, edges: 5 },
      },
    });
    expect(result.manifestYaml).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps
  });

  it('keeps fields it does not know, at every level', () => {
    const content = {
      ...validFlow(),
      editor: { zoom: 1.5 },
      nodes: [{ id: 'a', type: 'start', data: { label: 'A', deep: [{ x: 1 }] }, width: 150 }],
      edges: [{ source: 'a', target: 'a', animated: true, style: { stroke: 'red' } }],
    };
    const result = compileFlow(content, meta);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.flow).toEqual(content);
  });

  it('lists every problem at once, each at its JSON path', () => {
    const content = {
      id: 'f',
      nodes: [
        { id: 'a', type: 'start' },
        { id: 'a', type: 'llm' }, // duplicate
        { id: 'b', type: '9lives' }, // bad type
        { id: 'b', type: 'end' }, // duplicate
      ],
      edges: [
        { source: 'a', target: 'ghost' }, // dangling target
        { source: 'nowhere', target: 'b' }, // dangling source
        { source: 'a', target: 'b' },
      ],
    };
    expect(problemsOf(content)).toEqual([
      { path: '$.edges[0].target', message: expect.stringContaining('"ghost"') },
      { path: '$.edges[1].source', message: expect.stringContaining('"nowhere"') },
      { path: '$.nodes[1].id', message: 'Duplicate node id "a" (first used at $.nodes[0].id)' },
      { path: '$.nodes[2].type', message: expect.stringContaining('Node type') },
      { path: '$.nodes[3].id', message: 'Duplicate node id "b" (first used at $.nodes[2].id)' },
    ]);
  });

  it('reports schema problems with their paths', () => {
    const problems = problemsOf({
      id: '',
      version: true,
      nodes: [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'y' },
        { id: 7, type: 'z' },
        { type: 'w', position: { x: 'left' } },
      ],
      edges: [
        { id: 'e', source: 'a', target: 'b' },
        { id: 'e', source: 'b' },
      ],
      config: [1, 2],
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$.id',
        '$.version',
        '$.nodes[2].id',
        '$.nodes[3].id',
        '$.nodes[3].position.x',
        '$.nodes[3].position.y',
        '$.edges[1].id', // duplicate edge id
        '$.edges[1].target',
        '$.config',
      ]),
    );
    expect(problems).toHaveLength(9);
  });

  it('refuses a flow without nodes, or a document that is not a flow', () => {
    expect(problemsOf({ id: 'f', nodes: [], edges: [] })).toEqual([{ path: '$.nodes', message: 'A flow needs at least one node' }]);
    expect(problemsOf(null).map((p) => p.path)).toEqual(['$']);
    expect(problemsOf([]).map((p) => p.path)).toEqual(['$']);
    expect(problemsOf({ id: 'f' }).map((p) => p.path)).toEqual(['$.edges', '$.nodes']);
  });

  it('enforces the node and edge limits', () => {
    const nodes = Array.from({ length: MAX_NODES + 1 }, (_, i) => ({ id: `n${i}`, type: 'step' }));
    expect(problemsOf({ id: 'f', nodes, edges: [] })).toEqual([{ path: '$.nodes', message: `A flow may have at most ${MAX_NODES} nodes` }]);

    const edges = Array.from({ length: MAX_EDGES + 1 }, () => ({ source: 'n0', target: 'n1' }));
    expect(problemsOf({ id: 'f', nodes: nodes.slice(0, 2), edges })).toEqual([{ path: '$.edges', message: `A flow may have at most ${MAX_EDGES} edges` }]);

    expect(compileFlow({ id: 'f', nodes: nodes.slice(0, MAX_NODES), edges: edges.slice(0, MAX_EDGES) }, meta).ok).toBe(true);
  });

  it('enforces the size cap on the JSON of the flow, to the byte', () => {
    const sized = (bytes: number) => {
      const flow = { id: 'f', nodes: [{ id: 'a', type: 'start' }], edges: [], config: { pad: '' } };
      flow.config.pad = 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(flow)));
      return flow;
    };
    expect(compileFlow(sized(MAX_FLOW_BYTES), meta).ok).toBe(true);
    expect(problemsOf(sized(MAX_FLOW_BYTES + 1))).toEqual([
      { path: '$', message: `The flow is ${MAX_FLOW_BYTES + 1} bytes of JSON; the limit is ${MAX_FLOW_BYTES}` },
    ]);
    // Multi-byte characters count as their UTF-8 bytes.
    const wide = { id: 'f', nodes: [{ id: 'a', type: 'start' }], edges: [], config: { pad: 'é'.repeat(MAX_FLOW_BYTES / 2) } };
    expect(problemsOf(wide).map((p) => p.path)).toEqual(['$']);
  });

  it('refuses what is not plain JSON without throwing', () => {
    const cyclic: Record<string, unknown> = { id: 'a', type: 'start' };
    cyclic.self = cyclic;
    expect(problemsOf({ id: 'f', nodes: [cyclic], edges: [] })).toEqual([{ path: '$.nodes[0].self', message: expect.stringContaining('cycle') }]);

    const problems = problemsOf({
      id: 'f',
      nodes: [{ id: 'a', type: 'start', config: { when: new Date(0), run: () => 1, big: BigInt(1) } }],
      edges: [],
      metadata: { ratio: Number.NaN },
    });
    expect(problems.map((p) => p.path)).toEqual(['$.metadata.ratio', '$.nodes[0].config.big', '$.nodes[0].config.run', '$.nodes[0].config.when']);
  });

  it('refuses __proto__ keys, which JSON.parse makes but objects cannot carry', () => {
    const content = JSON.parse('{"id":"f","nodes":[{"id":"a","type":"start","config":{"__proto__":{"admin":true}}}],"edges":[]}') as unknown;
    expect(problemsOf(content)).toEqual([{ path: '$.nodes[0].config.__proto__', message: 'The key "__proto__" is not allowed' }]);
  });

  it('limits nesting depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = { d: deep };
    const problems = problemsOf({ id: 'f', nodes: [{ id: 'a', type: 'start', config: deep }], edges: [] });
    expect(problems).toEqual([{ path: expect.stringMatching(/^\$\.nodes\[0\]\.config(\.d)+$/), message: `Nested deeper than ${MAX_DEPTH} levels` }]);
  });

  it('caps the problem list of a pathological input', () => {
    const edges = Array.from({ length: 3000 }, (_, i) => ({ source: `missing${i}`, target: `missing${i}` }));
    const problems = problemsOf({ id: 'f', nodes: [{ id: 'a', type: 'start' }], edges });
    // 3000 dangling sources + 3000 dangling targets + "too many edges".
    expect(problems).toHaveLength(MAX_PROBLEMS);
    expect(problems[0]).toEqual({ path: '$.edges', message: `A flow may have at most ${MAX_EDGES} edges` });
    expect(problems[MAX_PROBLEMS - 1]).toEqual({ path: '$', message: `${6001 - (MAX_PROBLEMS - 1)} more problems not listed` });
  });

  it('renders the same YAML for the same flow, whatever the key order or the clock', () => {
    const first = compileFlow(validFlow(), meta);
    jest.useFakeTimers({ now: new Date('2031-05-06T07:08:09Z') });
    try {
      const reversed = JSON.parse(
        JSON.stringify(validFlow(), (_key, value: unknown) =>
          value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value,
        ),
      ) as unknown;
      const second = compileFlow(reversed, { description: meta.description, version: meta.version, name: meta.name, packageId: meta.packageId });
      expect(first.ok && second.ok && second.manifestYaml).toBe(first.ok && first.manifestYaml);
    } finally {
      jest.useRealTimers();
    }
  });

  it('quotes every string, so no YAML reader mistakes an id for a boolean, number or date', () => {
    const ids = ['yes', 'on', '0o17', '0777', '1e3', '2001-12-14', 'null', '~'];
    const flow = { id: 'f', nodes: ids.map((id) => ({ id, type: 'step' })), edges: [] };
    const result = compileFlow(flow, { ...meta, version: '1.0.0' });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    for (const version of ['1.1', '1.2'] as const) {
      const manifest = parse(result.manifestYaml, { version }) as { spec: { nodes: Array<{ id: unknown }> } };
      expect(manifest.spec.nodes.map((n) => n.id)).toEqual(ids);
    }
  });

  it('leaves the description out of the manifest when there is none', () => {
    const result = assertCompiles(validFlow(), { ...meta, description: null });
    expect(parse(result.manifestYaml).metadata).toEqual({ packageId: meta.packageId, name: meta.name, version: meta.version });
  });
});

describe('assertCompiles', () => {
  it('throws FlowCompileError carrying every problem', () => {
    const bad = {
      id: 'f',
      nodes: [{ id: 'a', type: 'start' }],
      edges: [
        { source: 'a', target: 'x' },
        { source: 'y', target: 'a' },
      ],
    };
    try {
      assertCompiles(bad, meta);
      throw new Error('expected a FlowCompileError');
    } catch (error) {
      expect(error).toBeInstanceOf(FlowCompileError);
      const compileError = error as FlowCompileError;
      expect(compileError.extensions.code).toBe('FLOW_COMPILE_FAILED');
      expect(compileError.problems?.map((p) => p.path)).toEqual(['$.edges[0].target', '$.edges[1].source']);
    }
  });
});

describe('renderManifest with requirements', () => {
  const flow = {
    id: 'f',
    nodes: [
      { id: 'start', type: 'trigger.webhook', name: 'Webhook' },
      { id: 'chat', type: 'openai.chat' },
    ],
    edges: [{ source: 'start', target: 'chat' }],
  };
  const small: ManifestMeta = { packageId: 'p', name: 'P', version: '1.0.0', description: 'd' };
  const requirements: Requirements = {
    nodeTypes: [
      { type: 'openai.chat', minVersion: '2.10', nodeIds: ['chat'] },
      { type: 'trigger.webhook', minVersion: null, nodeIds: ['start'] },
    ],
    credentials: [{ name: 'openai', kind: 'openai', nodeIds: ['chat'] }],
    parameters: [
      { name: 'answer', type: 'enum', description: null, required: true, default: 'yes', enum: ['yes', 'no'], pattern: null },
      { name: 'retries', type: 'number', description: 'How often', required: false, default: 3, enum: null, pattern: null },
    ],
    hosts: ['api.openai.com'],
    runtime: '>=2.3 <3',
  };

  it('leaves the manifest as it was when there are none', () => {
    const expected = [
      'apiVersion: "scaicore.catalog/v1"',
      'kind: "FlowPackage"',
      'metadata:',
      '  description: "d"',
      '  name: "P"',
      '  packageId: "p"',
      '  version: "1.0.0"',
      'spec:',
      '  counts:',
      '    edges: 1',
      '    nodes: 2',
      '  entrypoints:',
      '    - "start"',
      '  nodes:',
      '    - id: "start"',
      '      name: "Webhook"',
      '      next:',
      '        - "chat"',
      '      type: "trigger.webhook"',
      '    - id: "chat"',
      '      next: []',
      '      type: "openai.chat"',
      '',
    ].join('\n');
    expect(renderManifest(flow, small)).toBe(expected);
    expect(renderManifest(flow, { ...small, requirements: undefined })).toBe(expected);
  });

  it('writes them under spec.requirements, and changes nothing else', () => {
    const withRequirements = parse(renderManifest(flow, { ...small, requirements })) as { spec: Record<string, unknown> };
    const without = parse(renderManifest(flow, small)) as { spec: Record<string, unknown> };
    expect(withRequirements.spec['requirements']).toEqual(requirements);
    delete withRequirements.spec['requirements'];
    expect(withRequirements).toEqual(without);
  });

  it('writes the same bytes for the same requirements, whatever their key order', () => {
    const reversed = JSON.parse(
      JSON.stringify(requirements, (_key, value: unknown) =>
        value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value,
      ),
    ) as Requirements;
    const first = renderManifest(flow, { ...small, requirements });
    expect(renderManifest(flow, { ...small, requirements: reversed })).toBe(first);
    expect(renderManifest(flow, { ...small, requirements: structuredClone(requirements) })).toBe(first);
  });

  it('quotes every string and writes null as null, so that no reader changes a value', () => {
    const yaml = renderManifest(flow, { ...small, requirements });
    expect(yaml).toContain('\n      - minVersion: "2.10"\n');
    expect(yaml).toContain('\n      - minVersion: null\n');
    expect(yaml).toContain('\n      - default: "yes"\n        description: null\n');
    expect(yaml).toContain('\n      - default: 3\n');
    expect(yaml).toContain('\n    runtime: ">=2.3 <3"\n');
    for (const version of ['1.1', '1.2'] as const) {
      expect((parse(yaml, { version }) as { spec: { requirements: unknown } }).spec.requirements).toEqual(requirements);
    }
  });

  it('writes a list met twice out twice, never as a YAML alias', () => {
    const shared = ['eu', 'us'];
    const twice: Requirements = {
      ...requirements,
      parameters: ['a', 'b'].map((name) => ({ name, type: 'enum', description: null, required: false, default: null, enum: shared, pattern: null })),
    };
    const yaml = renderManifest(flow, { ...small, requirements: twice });
    expect(yaml).not.toMatch(/[&*]a\d/);
    expect((parse(yaml) as { spec: { requirements: Requirements } }).spec.requirements.parameters.map((p) => p.enum)).toEqual([shared, shared]);
  });
});

const nodeId = fc.string({ minLength: 1, maxLength: 12 });
// fast-check likes to generate "__proto__" keys, which the compiler refuses on purpose.
const extraField = fc.jsonValue({ maxDepth: 4 }).filter((value) => !JSON.stringify(value).includes('"__proto__"'));
const arbitraryFlow: fc.Arbitrary<FlowGraph> = fc.uniqueArray(nodeId, { minLength: 1, maxLength: 20 }).chain((ids) =>
  fc.record({
    id: nodeId,
    name: fc.option(fc.string(), { nil: undefined }),
    nodes: fc
      .constant(ids)
      .chain((all) => fc.tuple(...all.map((id) => fc.record({ id: fc.constant(id), type: fc.stringMatching(/^[A-Za-z][\w.:-]{0,10}$/), extra: extraField })))),
    edges: fc.array(fc.record({ source: fc.constantFrom(...ids), target: fc.constantFrom(...ids) }), { maxLength: 40 }),
  }),
) as fc.Arbitrary<FlowGraph>;

describe('compileFlow properties', () => {
  it('compiles every valid flow, deterministically, with entrypoints that have no incoming edge', () => {
    fc.assert(
      fc.property(arbitraryFlow, (flow) => {
        const a = compileFlow(flow, meta);
        const b = compileFlow(structuredClone(flow), meta);
        if (!a.ok || !b.ok) return false;
        expect(b.manifestYaml).toBe(a.manifestYaml);
        expect(renderManifest(a.flow, meta)).toBe(a.manifestYaml);
        const spec = (parse(a.manifestYaml) as { spec: { entrypoints: string[]; nodes: Array<{ next: string[] }> } }).spec;
        const targets = new Set(flow.edges.filter((e) => e.source !== e.target).map((e) => e.target));
        expect(spec.entrypoints).toEqual(flow.nodes.map((n) => n.id).filter((id) => !targets.has(id)));
        expect(spec.nodes.reduce((sum, n) => sum + n.next.length, 0)).toBe(new Set(flow.edges.map((e) => `${e.source}\u0000${e.target}`)).size);
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withNullPrototype: true, withTypedArray: true }), (content) => {
        const result = compileFlow(content, meta);
        return result.ok || result.problems.length > 0;
      }),
      { numRuns: 300 },
    );
  });
});
