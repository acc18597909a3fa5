import fc from 'fast-check';
import { FlowGraphSchema, type FlowGraph } from './flow-graph';
import { stampFlow, type CredentialBinding, type ParameterValue } from './install-values';
import { credentialKindOf } from './node-kinds';
import { checkParameterUse } from './parameters';
import { CREDENTIAL_REFERENCE, deriveRequirements, satisfiesRuntime, validRuntimeRange } from './requirements';
import type { ParameterDeclaration } from './requirements.types';

function flowOf(nodes: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): FlowGraph {
  return FlowGraphSchema.parse({ id: 'f', nodes, edges: [], ...extra });
}

function declared(name: string, overrides: Partial<ParameterDeclaration> = {}): ParameterDeclaration {
  return { name, type: 'string', description: null, required: false, default: null, enum: null, pattern: null, ...overrides };
}

describe('deriveRequirements: node types', () => {
  it('lists each type once, in code-unit order, with its nodes in flow order', () => {
    const flow = flowOf([
      { id: 'a', type: 'llm.chat' },
      { id: 'b', type: 'Zeta' },
      { id: 'c', type: 'alpha' },
      { id: 'd', type: 'llm.chat' },
    ]);
    expect(deriveRequirements(flow, [], null).nodeTypes).toEqual([
      { type: 'Zeta', minVersion: null, nodeIds: ['b'] },
      { type: 'alpha', minVersion: null, nodeIds: ['c'] },
      { type: 'llm.chat', minVersion: null, nodeIds: ['a', 'd'] },
    ]);
  });

  it('takes the highest typeVersion, compared segment by segment as numbers', () => {
    const minVersionOf = (...versions: unknown[]) => {
      const nodes = versions.map((typeVersion, i) => ({ id: `n${i}`, type: 't', ...(typeVersion === undefined ? {} : { typeVersion }) }));
      return deriveRequirements(flowOf(nodes), [], null).nodeTypes[0]!.minVersion;
    };

    expect(minVersionOf('1.9', '1.10', '1.2')).toBe('1.10');
    expect(minVersionOf(2.1, 2, 1.5)).toBe('2.1');
    expect(minVersionOf(2.1, '2.10')).toBe('2.10');
    expect(minVersionOf(3, '2.99.99')).toBe('3');
    expect(minVersionOf('1.99999999999999999999', '1.100000000000000000000')).toBe('1.100000000000000000000');
    // Written without leading zeros; on a tie the first spelling in flow order stays.
    expect(minVersionOf('01.02')).toBe('1.2');
    expect(minVersionOf('1.0', 1)).toBe('1.0');
    expect(minVersionOf(1, '1.0')).toBe('1');
    expect(minVersionOf(' 4.1 ')).toBe('4.1');
    // What is no dotted version counts as none.
    expect(minVersionOf('latest', -1, true, null, '', '1.x', 'v2', Number.MAX_VALUE)).toBeNull();
    expect(minVersionOf(undefined, 'latest', '0.5')).toBe('0.5');
    expect(minVersionOf(undefined)).toBeNull();
  });
});

describe('deriveRequirements: credentials', () => {
  it('finds every {{credentials.<name>}} reference anywhere in a node, with or without fields and spaces', () => {
    const flow = flowOf([
      { id: 'chat', type: 'openai.chat', config: { headers: [{ value: 'Bearer {{credentials.openai}}' }] } },
      { id: 'post', type: 'n8n-nodes-base.slack', parameters: { token: '{{ credentials.slack-bot.token }}' }, name: 'uses {{credentials.openai.apiKey}}' },
      { id: 'db', type: 'postgres.query', data: { deep: { deeper: ['x', '{{credentials.db_main}} and {{credentials.db_main.password}}'] } } },
      { id: 'plain', type: 'llm.chat', config: { text: 'no reference: {{ credential.x }}, {{credentials.}}, {credentials.y}' } },
    ]);
    expect(deriveRequirements(flow, [], null).credentials).toEqual([
      { name: 'db_main', kind: 'postgres', nodeIds: ['db'] },
      { name: 'openai', kind: null, nodeIds: ['chat', 'post'] },
      { name: 'slack-bot', kind: 'slack', nodeIds: ['post'] },
    ]);
  });

  it('gives a slot the kind every node type that implies one agrees on', () => {
    const slotKind = (...types: string[]) =>
      deriveRequirements(flowOf(types.map((type, i) => ({ id: `n${i}`, type, config: { key: '{{credentials.shared}}' } }))), [], null).credentials[0]!.kind;
    expect(slotKind('openai.chat', 'openai.embed')).toBe('openai');
    expect(slotKind('openai.chat', 'llm.chat')).toBe('openai');
    expect(slotKind('openai.chat', 'anthropic.messages')).toBeNull();
    expect(slotKind('llm.chat', 'http.request')).toBeNull();
    expect(slotKind('aws:s3.upload', 's3.list', 'tools.AWS')).toBe('aws');
  });

  it('counts references in nodes only, not in edges or metadata', () => {
    const flow = FlowGraphSchema.parse({
      id: 'f',
      nodes: [{ id: 'a', type: 'start' }],
      edges: [{ source: 'a', target: 'a', data: { label: '{{credentials.edge}}' } }],
      metadata: { note: '{{credentials.meta}}' },
    });
    expect(deriveRequirements(flow, [], null).credentials).toEqual([]);
  });

  it('shares its reference syntax as a pattern without state', () => {
    expect(CREDENTIAL_REFERENCE.flags).toBe('');
    expect(CREDENTIAL_REFERENCE.exec('x {{ credentials.crm.key.id }} y')?.slice(1)).toEqual([' ', 'crm', '.key.id', ' ']);
  });
});

describe('credentialKindOf', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['OpenAI:chat', 'openai'],
    ['n8n-nodes-base.slack', 'slack'],
    ['n8n-nodes-base.gitHub', 'github'],
    ['azure-openai.chat', 'azure-openai'],
    ['aws:s3.upload', 'aws'],
    ['s3', 'aws'],
    ['google.postgres', 'google'],
    ['tools.stripe:charge', 'stripe'],
    ['n8n-nodes-base.googleSheets', null],
    ['lmChatOpenAi', null],
    ['openai-compatible.chat', null],
    ['llm.chat', null],
  ])('%s → %s', (type, kind) => {
    expect(credentialKindOf(type)).toBe(kind);
  });
});

describe('deriveRequirements: hosts, parameters, runtime', () => {
  it('lists the host of every string that is one http(s) or ws(s) URL, lowercase, once, sorted', () => {
    const flow = FlowGraphSchema.parse({
      id: 'f',
      nodes: [
        {
          id: 'a',
          type: 'http.request',
          config: {
            url: '  HTTPS://API.Example.com/v1/chat  ',
            again: 'https://api.example.com/other',
            port: 'http://user:pw@internal.example:8080/x?y=1',
            defaultPort: 'https://default.example:443/',
            socket: 'wss://stream.example/live',
            ipv6: 'ws://[::1]:9000/',
            pathTemplate: 'https://tmpl.example/{{params.path}}',
            hostTemplate: 'https://{{params.host}}/x',
            partTemplate: 'https://api.{{params.region}}.example.com/x',
            prose: 'see https://docs.example/x for details',
            ftp: 'ftp://files.example/',
            relative: '/just/a/path',
            noHost: 'https://',
          },
        },
      ],
      edges: [],
      metadata: { links: ['http://meta.example'] },
    });
    expect(deriveRequirements(flow, [], null).hosts).toEqual([
      '[::1]:9000',
      'api.example.com',
      'default.example',
      'internal.example:8080',
      'meta.example',
      'stream.example',
      'tmpl.example',
    ]);
  });

  it('passes the declarations through in order, as copies, and the runtime as given', () => {
    const parameters = [declared('zone', { type: 'enum', enum: ['a', 'b'], default: 'a' }), declared('count', { type: 'number' })];
    const requirements = deriveRequirements(flowOf([{ id: 'a', type: 'start' }]), parameters, '>=2.3 <3');
    expect(requirements.parameters).toEqual(parameters);
    expect(requirements.parameters[0]).not.toBe(parameters[0]);
    expect(requirements.parameters[0]!.enum).not.toBe(parameters[0]!.enum);
    expect(requirements.runtime).toBe('>=2.3 <3');
    expect(deriveRequirements(flowOf([{ id: 'a', type: 'start' }]), [], null).runtime).toBeNull();
  });
});

describe('runtime ranges', () => {
  it('accepts what semver reads as a range, and refuses blank or overlong text', () => {
    for (const range of ['>=2.3 <3', '^2', '2.x', '~1.4.2', '1.2.3 - 2', '>=1 || <0.5']) expect(validRuntimeRange(range)).toBe(true);
    for (const range of ['', '   ', 'latest', '>=banana', `>=${'1'.repeat(300)}`]) expect(validRuntimeRange(range)).toBe(false);
  });

  it('compares a loosely written runtime version with a range', () => {
    expect(satisfiesRuntime('>=2.3 <3', '2.4.0')).toBe(true);
    expect(satisfiesRuntime('>=2.3 <3', 'v2.3')).toBe(true);
    expect(satisfiesRuntime('>=2.3 <3', 'runtime 2.9.1-build7')).toBe(true);
    expect(satisfiesRuntime('>=2.3 <3', '3.0.0')).toBe(false);
    expect(satisfiesRuntime('>=2.3 <3', 'unknown')).toBe(false);
    expect(satisfiesRuntime('not a range', '2.4.0')).toBe(false);
  });
});

/*
 * Random flows. Every reference and URL is placed by the generator at a path it records, in text
 * that cannot hold any other (the filler has no braces and no colon), so the expected requirements,
 * problems and stamped texts are computed from what was placed.
 */

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'param'; name: string; open: string; close: string }
  | { kind: 'credential'; name: string; fields: string; open: string; close: string };

interface Leaf {
  tokens: Token[];
  /** The host a URL leaf names, as deriveRequirements should report it; null for other leaves and templated hosts. */
  host: string | null;
}

interface NodeType {
  type: string;
  kind: string | null;
}

interface GeneratedVersion {
  value: unknown;
  /** Null when the value is no dotted version. */
  segments: number[] | null;
}

interface Placement {
  area: 'node' | 'edge' | 'metadata';
  target: number;
  container: string | null;
  keys: string[];
  wrap: Array<0 | 1>;
  leaf: Leaf;
}

interface Scenario {
  params: string[];
  declaredNames: string[];
  slots: string[];
  nodes: Array<{ type: NodeType; version: GeneratedVersion }>;
  edgeCount: number;
  placements: Placement[];
}

interface PlacedLeaf {
  leaf: Leaf;
  path: PropertyKey[];
  /** The node it is in, or null for edges and metadata. */
  nodeIndex: number | null;
}

const VENDOR_TYPES: NodeType[] = [
  { type: 'openai.chat', kind: 'openai' },
  { type: 'n8n-nodes-base.slack', kind: 'slack' },
  { type: 'aws:s3.upload', kind: 'aws' },
  { type: 'S3.put', kind: 'aws' },
  { type: 'tools.GitHub:issues', kind: 'github' },
  { type: 'azure-openai', kind: 'azure-openai' },
  { type: 'postgres.query', kind: 'postgres' },
];
// Every segment starts with `x`, which no vendor of the table does.
const plainType = fc.stringMatching(/^x[a-z]{1,5}(?:[.:]x[a-z]{1,5})?$/).map((type): NodeType => ({ type, kind: null }));
const nodeType = fc.oneof(fc.constantFrom(...VENDOR_TYPES), plainType);

const version: fc.Arbitrary<GeneratedVersion> = fc.oneof(
  fc.constantFrom<GeneratedVersion>(
    { value: undefined, segments: null },
    { value: 'latest', segments: null },
    { value: null, segments: null },
    { value: true, segments: null },
    { value: -1, segments: null },
  ),
  fc.nat({ max: 20 }).map((major) => ({ value: major, segments: [major] })),
  fc.tuple(fc.nat({ max: 20 }), fc.integer({ min: 1, max: 9 })).map(([major, minor]) => ({ value: Number(`${major}.${minor}`), segments: [major, minor] })),
  // No trailing zero segment, so that two spellings of one version (`1.0`, `1`) never tie.
  fc
    .array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 })
    .filter((segments) => segments.length === 1 || segments.at(-1) !== 0)
    .chain((segments) => fc.constantFrom('', ' ').map((pad) => ({ value: `${pad}${segments.join('.')}${pad}`, segments }))),
);

const space = fc.constantFrom('', ' ', '  ', '\t');
const filler = fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }).filter((text) => !/[{}:]/.test(text));
const parameterName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((name) => name !== '__proto__');
const slotName = fc.oneof(fc.constantFrom('openai', 'crm', 'db-main', '_x'), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/));
const hostName = fc.array(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,6}$/), { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));

function token(params: string[], slots: string[]): fc.Arbitrary<Token> {
  return fc.oneof(
    filler.map((text): Token => ({ kind: 'text', text })),
    fc.record({ kind: fc.constant('param' as const), name: fc.constantFrom(...params), open: space, close: space }),
    fc.record({
      kind: fc.constant('credential' as const),
      name: fc.constantFrom(...slots),
      fields: fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,5}$/), { maxLength: 2 }).map((fields) => fields.map((field) => `.${field}`).join('')),
      open: space,
      close: space,
    }),
  );
}

const text = (value: string): Token[] => (value === '' ? [] : [{ kind: 'text', text: value }]);
const bareParam = (name: string): Token => ({ kind: 'param', name, open: '', close: '' });

function urlLeaf(params: string[]): fc.Arbitrary<Leaf> {
  return fc
    .record({
      lead: fc.constantFrom('', ' '),
      trail: fc.constantFrom('', ' ', '\n'),
      scheme: fc.constantFrom('http', 'https', 'ws', 'wss', 'HTTPS', 'Wss'),
      host: fc.oneof(
        hostName.map((literal) => ({ literal })),
        fc.constantFrom(...params).map((param) => ({ param })),
      ),
      port: fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
      path: fc.stringMatching(/^(?:\/[a-z0-9]{0,5}){0,3}$/),
      pathParam: fc.option(fc.constantFrom(...params), { nil: undefined }),
    })
    .map(({ lead, trail, scheme, host, port, path, pathParam }) => ({
      tokens: [
        ...text(`${lead}${scheme}://`),
        ...('literal' in host ? text(host.literal) : [bareParam(host.param)]),
        ...text(`${port === undefined ? '' : `:${port}`}${path}${pathParam === undefined ? '' : '/'}`),
        ...(pathParam === undefined ? [] : [bareParam(pathParam)]),
        ...text(trail),
      ],
      host: 'literal' in host ? `${host.literal.toLowerCase()}${port === undefined ? '' : `:${port}`}` : null,
    }));
}

function leaf(params: string[], slots: string[]): fc.Arbitrary<Leaf> {
  return fc.oneof(
    fc.array(token(params, slots), { minLength: 1, maxLength: 4 }).map((tokens) => ({ tokens, host: null })),
    urlLeaf(params),
  );
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    params: fc.uniqueArray(parameterName, { minLength: 1, maxLength: 6 }),
    slots: fc.uniqueArray(slotName, { minLength: 1, maxLength: 5 }),
    typePool: fc.uniqueArray(nodeType, { minLength: 1, maxLength: 4, selector: (entry) => entry.type }),
  })
  .chain(({ params, slots, typePool }) =>
    fc.record({
      params: fc.constant(params),
      declaredNames: fc.subarray(params),
      slots: fc.constant(slots),
      nodes: fc.array(fc.record({ type: fc.constantFrom(...typePool), version }), { minLength: 1, maxLength: 8 }),
      edgeCount: fc.nat({ max: 4 }),
      placements: fc.array(
        fc.record({
          area: fc.constantFrom<Placement['area']>('node', 'node', 'node', 'edge', 'metadata'),
          target: fc.nat(),
          container: fc.constantFrom('config', 'parameters', 'data', null),
          keys: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
          wrap: fc.array(fc.constantFrom<0 | 1>(0, 1), { maxLength: 2 }),
          leaf: leaf(params, slots),
        }),
        { maxLength: 20 },
      ),
    }),
  );

interface Stamp {
  values: Record<string, ParameterValue>;
  bound: Map<string, string>;
}

function renderToken(part: Token, stamp?: Stamp): string {
  if (part.kind === 'text') return part.text;
  if (part.kind === 'param') {
    const value = stamp && Object.hasOwn(stamp.values, part.name) ? stamp.values[part.name] : undefined;
    return value === undefined ? `{{${part.open}params.${part.name}${part.close}}}` : String(value);
  }
  return `{{${part.open}credentials.${stamp?.bound.get(part.name) ?? part.name}${part.fields}${part.close}}}`;
}

/** What stampFlow should leave at a leaf: a lone parameter reference takes the value itself. */
function stampedLeaf(placed: Leaf, stamp: Stamp): unknown {
  const [only] = placed.tokens;
  if (placed.tokens.length === 1 && only!.kind === 'param' && Object.hasOwn(stamp.values, only!.name)) return stamp.values[only!.name];
  return placed.tokens.map((part) => renderToken(part, stamp)).join('');
}

function buildFlow(s: Scenario): { flow: Record<string, unknown>; leaves: PlacedLeaf[] } {
  const nodes: Array<Record<string, unknown>> = s.nodes.map((node, i) => ({
    id: `n${i}`,
    type: node.type.type,
    ...(node.version.value === undefined ? {} : { typeVersion: node.version.value }),
  }));
  const edges: Array<Record<string, unknown>> = Array.from({ length: s.edgeCount }, (_, j) => ({
    id: `e${j}`,
    source: `n${j % nodes.length}`,
    target: `n${(j + 1) % nodes.length}`,
  }));
  const metadata: Record<string, unknown> = {};
  const leaves: PlacedLeaf[] = [];
  s.placements.forEach((placement, k) => {
    let holder: Record<string, unknown>;
    let path: PropertyKey[];
    let nodeIndex: number | null = null;
    if (placement.area === 'node') {
      nodeIndex = placement.target % nodes.length;
      holder = nodes[nodeIndex]!;
      path = ['nodes', nodeIndex];
    } else if (placement.area === 'edge' && edges.length > 0) {
      const edgeIndex = placement.target % edges.length;
      holder = edges[edgeIndex]!;
      path = ['edges', edgeIndex];
    } else {
      holder = metadata;
      path = ['metadata'];
    }
    for (const key of [...(placement.container === null ? [] : [placement.container]), ...placement.keys]) {
      holder[key] ??= {};
      holder = holder[key] as Record<string, unknown>;
      path.push(key);
    }
    let value: unknown = placement.leaf.tokens.map((part) => renderToken(part)).join('');
    for (const side of placement.wrap) value = side === 0 ? [value, 'pad'] : ['pad', value];
    holder[`leaf${k}`] = value;
    leaves.push({ leaf: placement.leaf, path: [...path, `leaf${k}`, ...[...placement.wrap].reverse()], nodeIndex });
  });
  return { flow: { id: 'flow', name: 'Random', nodes, edges, metadata }, leaves };
}

function at(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((current, key) => (current as Record<PropertyKey, unknown>)[key], value);
}

function jsonPathOf(path: PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`), '$');
}

function compareNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

const byPathThenMessage = (a: { path: string; message: string }, b: { path: string; message: string }) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : a.message > b.message ? 1 : 0;

const namesOf = (tokens: Token[], kind: 'param' | 'credential') => tokens.flatMap((part) => (part.kind === kind ? [part.name] : []));

describe('requirements of random flows', () => {
  it('are exactly the node types, credential slots and hosts placed', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { flow, leaves } = buildFlow(s);
        const requirements = deriveRequirements(FlowGraphSchema.parse(flow), [], null);

        const types = [...new Set(s.nodes.map((node) => node.type.type))].sort();
        expect(requirements.nodeTypes).toEqual(
          types.map((type) => {
            const ofType = s.nodes.flatMap((node, i) => (node.type.type === type ? [{ ...node, id: `n${i}` }] : []));
            const versions = ofType.flatMap((node) => (node.version.segments === null ? [] : [node.version.segments]));
            const highest = versions.reduce<number[] | null>((best, segments) => (best === null || compareNumbers(segments, best) > 0 ? segments : best), null);
            return { type, minVersion: highest === null ? null : highest.join('.'), nodeIds: ofType.map((node) => node.id) };
          }),
        );

        const slotUsers = new Map<string, Set<number>>();
        for (const placed of leaves) {
          if (placed.nodeIndex === null) continue;
          for (const name of namesOf(placed.leaf.tokens, 'credential')) slotUsers.set(name, (slotUsers.get(name) ?? new Set()).add(placed.nodeIndex));
        }
        expect(requirements.credentials).toEqual(
          [...slotUsers.keys()].sort().map((name) => {
            const users = [...slotUsers.get(name)!].sort((a, b) => a - b);
            const kinds = new Set(users.map((i) => s.nodes[i]!.type.kind).filter((kind) => kind !== null));
            return { name, kind: kinds.size === 1 ? [...kinds][0] : null, nodeIds: users.map((i) => `n${i}`) };
          }),
        );

        expect(requirements.hosts).toEqual([...new Set(leaves.flatMap((placed) => (placed.leaf.host === null ? [] : [placed.leaf.host])))].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('report exactly the undeclared references placed (once per string) and the declarations never referenced', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { flow, leaves } = buildFlow(s);
        const declarations = s.declaredNames.map((name) => declared(name));
        const expected = leaves.flatMap((placed) =>
          [...new Set(namesOf(placed.leaf.tokens, 'param'))]
            .filter((name) => !s.declaredNames.includes(name))
            .map((name) => ({
              path: jsonPathOf(placed.path),
              message: `Parameter "${name}" is not declared: declare it in parameters, or remove the reference`,
            })),
        );
        const referenced = new Set(leaves.flatMap((placed) => namesOf(placed.leaf.tokens, 'param')));
        s.declaredNames.forEach((name, i) => {
          if (!referenced.has(name)) expected.push({ path: `$.parameters[${i}].name`, message: `Parameter "${name}" is declared but the flow never uses it` });
        });
        expect([...checkParameterUse(FlowGraphSchema.parse(flow), declarations)].sort(byPathThenMessage)).toEqual(expected.sort(byPathThenMessage));
      }),
      { numRuns: 200 },
    );
  });
});

const parameterValue: fc.Arbitrary<ParameterValue> = fc.oneof(
  fc.stringMatching(/^[a-z0-9 .-]{0,8}$/),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
);

const stampScenario = scenario.chain((s) =>
  fc.record({
    s: fc.constant(s),
    values: fc.subarray(s.params).chain((names) => fc.tuple(...names.map((name) => parameterValue.map((value) => [name, value] as const)))),
    bindings: fc
      .subarray(s.slots)
      .chain((slots) => fc.tuple(...slots.map((slot) => fc.oneof(slotName, fc.constantFrom(...s.slots)).map((credential) => ({ slot, credential }))))),
  }),
);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('stampFlow on random flows', () => {
  it('writes every value and binding in where it was referenced, and nothing else', () => {
    fc.assert(
      fc.property(stampScenario, ({ s, values: entries, bindings }) => {
        const { flow, leaves } = buildFlow(s);
        const values: Record<string, ParameterValue> = Object.fromEntries(entries);
        const stamp: Stamp = { values, bound: new Map(bindings.map((binding: CredentialBinding) => [binding.slot, binding.credential])) };
        const stamped = stampFlow(flow, values, bindings);

        for (const placed of leaves) expect(at(stamped, placed.path)).toStrictEqual(stampedLeaf(placed.leaf, stamp));

        // Derived again, the stamped parameters are referenced nowhere; the others where they were.
        const stillReferenced = new Set(leaves.flatMap((placed) => namesOf(placed.leaf.tokens, 'param')).filter((name) => !Object.hasOwn(values, name)));
        const unused = checkParameterUse(
          stamped as FlowGraph,
          s.params.map((name) => declared(name)),
        ).map((problem) => problem.path);
        expect(unused).toEqual(s.params.flatMap((name, i) => (stillReferenced.has(name) ? [] : [`$.parameters[${i}].name`])));

        // The slots are found under their bound names, merged when two are bound to one credential.
        const users = new Map<string, Set<number>>();
        for (const placed of leaves) {
          if (placed.nodeIndex === null) continue;
          for (const name of namesOf(placed.leaf.tokens, 'credential')) {
            const now = stamp.bound.get(name) ?? name;
            users.set(now, (users.get(now) ?? new Set()).add(placed.nodeIndex));
          }
        }
        expect(deriveRequirements(stamped as FlowGraph, [], null).credentials.map(({ name, nodeIds }) => ({ name, nodeIds }))).toEqual(
          [...users.keys()].sort().map((name) => ({ name, nodeIds: [...users.get(name)!].sort((a, b) => a - b).map((i) => `n${i}`) })),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never changes its input', () => {
    fc.assert(
      fc.property(stampScenario, ({ s, values, bindings }) => {
        const { flow } = buildFlow(s);
        const before = structuredClone(flow);
        // Frozen, any write would throw.
        const stamped = stampFlow(deepFreeze(flow), Object.fromEntries(values), bindings);
        expect(flow).toEqual(before);
        expect(stamped).not.toBe(flow);
      }),
      { numRuns: 200 },
    );
  });
});
