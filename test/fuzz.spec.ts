import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { JWTPayload } from 'jose';
import { parse, type OperationDefinitionNode } from 'graphql';
import { HTTP_STATUS_BY_CODE } from '../src/common/errors';
import { encodeCursor } from '../src/common/pagination';
import { buildCatalogSdl } from '../src/graphql/schema';
import { flowContent } from './support/flows';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Random GraphQL documents and variables, and random REST bodies, against the real app: whatever
 * arrives, the answer is never a 5xx, never a masked internal error, and never shows a stack
 * trace or SQL. Each property prints how many cases it ran.
 */
jest.setTimeout(600_000);

// CI replays one fixed seed (a red build is then reproducible as is); locally each run explores anew.
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.CI ? 20261122 : Date.now() % 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);

/** What must never appear in an answer, unless the request itself contained it (echoed input). */
const LEAKS: { name: string; pattern: RegExp }[] = [
  { name: 'stack frame', pattern: /\bat (?:[\w$.<>]+ )?\(?(?:\/|file:|node:)[^\s)]+:\d+:\d+\)?/ },
  { name: 'stacktrace field', pattern: /"stacktrace"/ },
  { name: 'source path', pattern: /\/(?:src|node_modules|dist)\/[\w./-]+\.(?:ts|js)\b/ },
  { name: 'table name', pattern: /\b(?:catalog_package(?:_version)?|catalog_audit_event|idempotency_key|rate_limit_counter|mikro_orm_migrations)\b/ },
  { name: 'SQL statement', pattern: /\b(?:select\s[\s\S]{1,200}?\sfrom|insert\s+into|update\s+\S+\s+set|delete\s+from)\s/i },
  {
    name: 'PostgreSQL error',
    pattern: /syntax error at or near|violates (?:unique|foreign key|check|not-null) constraint|duplicate key value|relation "\w+" does not exist/i,
  },
];

interface Tally {
  cases: number;
  /** Answers with data: the case got past parsing, validation and authentication into resolvers. */
  executed: number;
  /** How often each error code came back: where the cases ended up. */
  codes: Record<string, number>;
}
const tallies: Record<string, Tally> = {};

let current: Tally | undefined;

function check(what: string, request: string, status: number, text: string): void {
  if (current) {
    if (status < 300 && (what.startsWith('REST') || /"data":\{/.test(text))) current.executed += 1;
    const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? `HTTP ${status}`;
    current.codes[code] = (current.codes[code] ?? 0) + 1;
  }
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);
  if (/"code":"SERVICE_UNAVAILABLE"/.test(text))
    console.warn(`${what}: SERVICE_UNAVAILABLE (a dependency was slow or down)\nrequest: ${request.slice(0, 500)}\nanswer: ${text.slice(0, 500)}`);
  if (/INTERNAL_SERVER_ERROR/.test(text) && !request.includes('INTERNAL_SERVER_ERROR')) problems.push('masked internal error');
  for (const leak of LEAKS) {
    const found = leak.pattern.exec(text);
    if (found && !request.includes(found[0])) problems.push(`${leak.name}: ${found[0]}`);
  }
  if (problems.length > 0) {
    throw new Error(`${what}: ${problems.join('; ')}\nrequest: ${request.slice(0, 2000)}\nanswer (${status}): ${text.slice(0, 2000)}`);
  }
}

/**
 * The error codes each root field's description lists ("Errors: A, B."), so that what the fuzz
 * makes an operation answer can be checked against what its documentation promises.
 */
async function documentedCodes(): Promise<Map<string, Set<string>>> {
  const { typeGraphqlSchema } = await buildCatalogSdl();
  const roots = [typeGraphqlSchema.getQueryType(), typeGraphqlSchema.getMutationType()].flatMap((root) => Object.values(root?.getFields() ?? {}));
  return new Map(roots.map((field) => [field.name, new Set(/Errors: (.+?)\./.exec(field.description ?? '')?.[1]?.split(/,\s*/) ?? [])]));
}

/**
 * `catalogPackage: FORBIDDEN` for each catalog code an answer carries that the operation does not
 * document. Federation's own fields (`_entities`, `_service`) have descriptions we do not write;
 * docs/API.md says what they answer.
 */
function undocumented(documented: Map<string, Set<string>>, query: string, text: string): string[] {
  const operation = parse(query).definitions[0] as OperationDefinitionNode;
  const selection = operation.selectionSet.selections[0];
  const root = selection?.kind === 'Field' ? selection.name.value : '(none)';
  if (root.startsWith('_')) return [];
  const codes = [...text.matchAll(/"code":"([A-Z_]+)"/g)].map((match) => match[1]!).filter((code) => code in HTTP_STATUS_BY_CODE);
  return codes.filter((code) => !documented.get(root)?.has(code)).map((code) => `${root}: ${code}`);
}

// ---- hostile values --------------------------------------------------------------------------

/** Strings with the characters that once reached SQL or blob names: NUL, other controls, DEL, `../`. */
const controlString = fc
  .tuple(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\t', '\r\n', '../', '\ud800'),
    fc.string({ maxLength: 12 }),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`);
/** Strings in general: mostly ordinary, often with a control character. */
const anyString = (maxLength: number) => fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength }) }, { weight: 2, arbitrary: controlString });

/** Parameter declarations, install values, credential bindings and environments: well-formed and not. */
const parameterArb = fc.record(
  {
    name: fc.oneof(fc.constantFrom('model', 'retries', '1bad'), anyString(12)),
    type: fc.constantFrom('string', 'number', 'boolean', 'enum', 'secret-reference', 'nope'),
    required: fc.boolean(),
    default: fc.jsonValue({ maxDepth: 1 }),
    enum: fc.array(anyString(8), { maxLength: 3 }),
    pattern: fc.oneof(fc.constantFrom('^a+$', '(', '[z-a]'), anyString(10)),
  },
  { requiredKeys: ['name', 'type'] },
);
const installValuesArb = fc.option(fc.dictionary(fc.oneof(fc.constantFrom('model', 'retries'), anyString(10)), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
const bindingArb = fc.record({ slot: fc.oneof(fc.constant('openai'), anyString(10)), credential: anyString(20) });
const environmentArb = fc.record(
  {
    nodeTypes: fc.array(fc.record({ type: fc.oneof(fc.constant('llm.chat'), anyString(20)), version: fc.option(anyString(8)) }, { requiredKeys: ['type'] }), {
      maxLength: 4,
    }),
    credentials: fc.array(fc.record({ name: anyString(12), kind: fc.option(anyString(8)) }, { requiredKeys: ['name'] }), { maxLength: 4 }),
    runtimeVersion: fc.option(fc.oneof(fc.constantFrom('2.4.0', 'x'), anyString(10))),
    parameters: installValuesArb,
  },
  { requiredKeys: ['nodeTypes', 'credentials'] },
);

/** Cursors: well-formed ones of every key type, dates far outside PostgreSQL's range, broken shapes. */
const cursorArb = fc.oneof(
  fc
    .tuple(fc.oneof(fc.date({ noInvalidDate: true }), fc.integer(), fc.double(), anyString(20)), fc.uuid(), fc.constantFrom('', 'x', 'abc'))
    .map(([key, id, scope]) => encodeCursor({ key, id }, scope)),
  fc
    .tuple(
      fc.constantFrom('-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', 'not a date'),
      fc.uuid(),
    )
    .map(([k, i]) => Buffer.from(JSON.stringify({ k, t: 'd', i })).toString('base64url')),
  fc
    .record(
      { k: fc.jsonValue({ maxDepth: 1 }), t: fc.constantFrom('d', 'n', 's', 'x'), i: fc.oneof(fc.uuid(), anyString(10)), s: fc.jsonValue({ maxDepth: 0 }) },
      { requiredKeys: [] },
    )
    .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url')),
  fc.string({ maxLength: 40 }),
  fc.base64String({ maxLength: 60 }),
);

// ---- GraphQL documents ----------------------------------------------------------------------

const FIELD_NAMES = [
  'catalogPackages',
  'catalogPackage',
  'catalogAuditEvents',
  'publishCatalogPackage',
  'installCatalogPackage',
  'setCatalogPackageVisibility',
  'deleteCatalogPackage',
  'deprecateCatalogPackageVersion',
  'withdrawCatalogPackageVersion',
  'restoreCatalogPackageVersion',
  'catalogUpdates',
  'catalogPackageDiff',
  'catalogUsage',
  'catalogInstallCheck',
  'catalogUpgradePreview',
  'catalogUpgradePreviews',
  'requirements',
  'provenance',
  '_service',
  '_entities',
  '__typename',
  '__schema',
  '__type',
  'edges',
  'node',
  'cursor',
  'pageInfo',
  'hasNextPage',
  'endCursor',
  'id',
  'tenantId',
  'packageId',
  'name',
  'description',
  'version',
  'readme',
  'authorId',
  'authorEmail',
  'visibility',
  'visibilityGroupIds',
  'sourceFlowId',
  'createdAt',
  'updatedAt',
  'versions',
  'author',
  'sdl',
  'flow',
  'metadata',
  'action',
  'changes',
  'types',
  'fields',
  'ofType',
  'kind',
  'queryType',
  'x',
  'nope',
  'Query',
  'on',
  'fragment',
  'null',
  'true',
];
const ARG_NAMES = [
  'first',
  'after',
  'packageId',
  'tenantId',
  'input',
  'visibility',
  'visibilityGroupIds',
  'version',
  'representations',
  'name',
  'if',
  'x',
  'reason',
  'installed',
  'from',
  'to',
  'filter',
  'orderBy',
  'environment',
  'channel',
  'parameters',
  'credentialBindings',
];
const TYPE_NAMES = ['Query', 'Mutation', 'CatalogPackage', 'CatalogPackageConnection', 'PageInfo', 'User', 'Flow', 'Nope', '_Entity'];
const VAR_TYPES = [
  'Int',
  'Int!',
  'String',
  'String!',
  'ID',
  '[ID!]',
  'Boolean',
  'JSON',
  'CatalogVisibility',
  'PublishCatalogPackageInput!',
  '[_Any!]!',
  'Nope',
  '[[Int]]',
];

const nameArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,12}$/) },
);
const stringLiteral = fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s));

const valueArb: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }).map(String),
    fc.constantFrom('0', '-1', '100', '101', '1e309', '99999999999999999999', '1.5', '-0.0'),
    stringLiteral,
    fc.constantFrom('true', 'false', 'null', 'TENANT', 'GROUPS', 'NOPE', '$v', '$input', '$first', '"""block"""'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(' ')}]`),
    fc
      .array(fc.tuple(fc.constantFrom(...ARG_NAMES, 'content', 'nodes', '__typename'), tie('value')), { maxLength: 3 })
      .map((pairs) => `{ ${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')} }`),
  ),
})).value;

const directiveArb = fc
  .tuple(fc.constantFrom('include', 'skip', 'deprecated', 'key', 'nope', 'defer'), fc.option(valueArb))
  .map(([name, value]) => ` @${name}${value === null ? '' : `(if: ${value})`}`);

const argsArb = fc
  .array(fc.tuple(fc.constantFrom(...ARG_NAMES), valueArb), { maxLength: 3 })
  .map((pairs) => (pairs.length === 0 ? '' : `(${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')})`));

const selectionSetArb: fc.Arbitrary<string> = fc.letrec<{ set: string; selection: string }>((tie) => ({
  selection: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(fc.option(nameArb), nameArb, argsArb, fc.array(directiveArb, { maxLength: 2 }), fc.option(tie('set'), { freq: 2 }))
      .map(([alias, name, args, directives, set]) => `${alias ? `${alias}: ` : ''}${name}${args}${directives.join('')}${set ? ` ${set}` : ''}`),
    fc.tuple(fc.option(fc.constantFrom(...TYPE_NAMES)), tie('set')).map(([type, set]) => `... ${type ? `on ${type} ` : ''}${set}`),
    fc.constantFrom('...F', '...G', '__typename'),
  ),
  set: fc.array(tie('selection'), { minLength: 1, maxLength: 4 }).map((items) => `{ ${items.join(' ')} }`),
})).set;

const documentArb = fc
  .tuple(
    fc.constantFrom('', 'query', 'mutation', 'subscription', 'query Q', 'mutation M'),
    fc.array(fc.tuple(fc.constantFrom('v', 'input', 'first', 'x'), fc.constantFrom(...VAR_TYPES), fc.option(valueArb, { freq: 4 })), { maxLength: 3 }),
    selectionSetArb,
    fc.option(fc.tuple(fc.constantFrom('F', 'G'), fc.constantFrom(...TYPE_NAMES), selectionSetArb), { freq: 3 }),
  )
  .map(([op, vars, set, fragment]) => {
    const defs = vars.length && op ? `(${vars.map(([n, t, d]) => `$${n}: ${t}${d ? ` = ${d}` : ''}`).join(', ')})` : '';
    return `${op}${defs} ${set}${fragment ? ` fragment ${fragment[0]} on ${fragment[1]} ${fragment[2]}` : ''}`;
  });

/** Tokens of GraphQL shuffled at random: mostly syntax errors, some of the lexer's corner cases. */
const tokenSoupArb = fc
  .array(
    fc.oneof(fc.constantFrom('{', '}', '(', ')', '[', ']', ':', '$', '@', '...', '!', '=', '|', '&', '"', '"""', '#', '\n', ',', ' '), nameArb, valueArb),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(' '));

const variablesArb = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(fc.constantFrom('v', 'input', 'first', 'x', 'representations'), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const flowArb = fc.oneof(
  fc.constant(flowContent('Fuzzed')),
  fc.jsonValue({ maxDepth: 5 }),
  fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
      name: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null)),
      nodes: fc.array(
        fc.record(
          {
            id: fc.oneof(fc.constantFrom('a', 'b', 'start'), fc.string({ maxLength: 5 })),
            type: fc.oneof(fc.constantFrom('start', 'llm.chat', '1bad'), fc.string({ maxLength: 8 })),
            config: fc.jsonValue({ maxDepth: 2 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      edges: fc.array(
        fc.record({ id: fc.string({ maxLength: 3 }), source: fc.constantFrom('a', 'b', 'zz'), target: fc.constantFrom('a', 'b', 'zz') }, { requiredKeys: [] }),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: [] },
  ),
);

const publishInputArb = fc
  .tuple(
    fc.record({
      packageId: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('fuzz-a', 'fuzz-b', 'fuzz-c') },
        fc.constantFrom('Bad Id', '', '-x-'),
        fc.stringMatching(/^[a-z0-9-]{0,70}$/),
        fc.string({ maxLength: 20 }),
      ),
      name: fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) }, fc.constant(''), fc.constant(' '), controlString),
      version: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('0.1.0', '1.0.0', '0.0.1', '2.3.4') },
        fc.constantFrom('1.2', 'v1.0.0', '1.0.0-beta.1', '99999999999999999999.0.0', '0.0.0'),
        fc.string({ maxLength: 12 }),
      ),
      content: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 20 }).map((name) => flowContent(name)) }, flowArb),
    }),
    fc.record(
      {
        description: fc.option(anyString(40)),
        readme: fc.option(anyString(40)),
        flowId: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, fc.constantFrom('flow-1', 'team:flow.v2'), anyString(20)),
        tags: fc.option(fc.array(fc.oneof(fc.constantFrom('a', 'etl'), anyString(12)), { maxLength: 4 })),
        parameters: fc.option(fc.oneof(fc.array(parameterArb, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }))),
        runtime: fc.option(fc.oneof(fc.constantFrom('>=2.3 <3', '^1', 'soon'), anyString(20))),
      },
      { requiredKeys: [] },
    ),
    // Now and then a field the input type does not have, or one of the required ones left out.
    fc.oneof({ weight: 8, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.record({ extra: fc.jsonValue({ maxDepth: 1 }) }) }),
    fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, fc.constantFrom('packageId', 'name', 'version', 'content')),
  )
  .map(([required, optional, extra, drop]) => {
    const input: Record<string, unknown> = { ...required, ...optional, ...extra };
    if (drop) delete input[drop];
    return input;
  });

/** Well-formed operations of the real schema, with random (often wrongly typed) variables. */
const PACKAGE_FIELD_NAMES = [
  'id',
  'tenantId',
  'packageId',
  'name',
  'description',
  'version',
  'readme',
  'authorId',
  'authorEmail',
  'visibility',
  'visibilityGroupIds',
  'sourceFlowId',
  'createdAt',
  'updatedAt',
  '__typename',
];
const packageFieldsArb = fc
  .tuple(fc.subarray(PACKAGE_FIELD_NAMES, { minLength: 1 }), fc.boolean(), fc.boolean())
  .map(([fields, versions, author]) =>
    [
      ...fields,
      ...(versions ? ['versions(first: $vf) { edges { cursor node { version sha256 sizeBytes publishedAt } } pageInfo { hasNextPage endCursor } }'] : []),
      ...(author ? ['author { id }'] : []),
    ].join(' '),
  );
const looseValue = (typed: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: typed }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const packageIdValue = looseValue(fc.oneof(fc.constantFrom('fuzz-a', 'fuzz-b', 'nope'), anyString(70)));
const tenantValue = looseValue(fc.option(fc.oneof(fc.constant('acme'), anyString(10), fc.constantFrom('..', '../acme', 'a/b', 't'.repeat(129))), { freq: 2 }));
const firstValue = looseValue(fc.option(fc.integer({ min: -5, max: 150 })));
const cursorValue = looseValue(fc.option(cursorArb));
const versionValue = looseValue(fc.option(fc.oneof(fc.constantFrom('0.1.0', '9.9.9', 'x'), anyString(12))));
const filterValue = looseValue(
  fc.option(
    fc.record(
      { query: anyString(30), tags: fc.array(anyString(12), { maxLength: 4 }), authorId: anyString(20), nodeTypes: fc.array(anyString(12), { maxLength: 4 }) },
      { requiredKeys: [] },
    ),
  ),
);
const orderValue = looseValue(fc.option(fc.constantFrom('NEWEST', 'RECENTLY_UPDATED', 'NAME', 'MOST_INSTALLED', 'RELEVANCE', 'nope')));
const operationArb = fc.oneof(
  fc.tuple(packageFieldsArb, firstValue, cursorValue, firstValue, filterValue, orderValue).map(([fields, first, after, vf, filter, orderBy]) => ({
    query: `query($first: Int, $after: String, $vf: Int, $filter: CatalogPackageFilter, $orderBy: CatalogPackageOrder) {
      catalogPackages(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { totalCount edges { cursor node { ${fields} } } pageInfo { hasNextPage endCursor } } }`,
    variables: { first, after, vf, filter, orderBy },
  })),
  tenantValue.map((tenantId) => ({
    query: 'query($t: ID) { catalogUsage(tenantId: $t) { packages versions bytes limits { packages bytes versionsPerPackage } } }',
    variables: { t: tenantId },
  })),
  fc.tuple(packageFieldsArb, packageIdValue, tenantValue, firstValue).map(([fields, packageId, tenantId, vf]) => ({
    query: `query($p: String!, $t: ID, $vf: Int) { catalogPackage(packageId: $p, tenantId: $t) { ${fields} } }`,
    variables: { p: packageId, t: tenantId, vf },
  })),
  fc.tuple(packageIdValue, firstValue, cursorValue, tenantValue).map(([packageId, first, after, tenantId]) => ({
    query:
      'query($p: String!, $f: Int, $a: String, $t: ID) { catalogAuditEvents(packageId: $p, first: $f, after: $a, tenantId: $t) { edges { node { action version actorId changes } } } }',
    variables: { p: packageId, f: first, a: after, t: tenantId },
  })),
  fc.tuple(packageIdValue, firstValue, cursorValue).map(([packageId, first, after]) => ({
    query:
      'query($p: String!, $f: Int, $a: String) { catalogPackage(packageId: $p) { versions(first: $f, after: $a) { edges { cursor node { version } } pageInfo { hasNextPage } } } }',
    variables: { p: packageId, f: first, a: after },
  })),
  fc.tuple(packageIdValue, versionValue, tenantValue).map(([packageId, version, tenantId]) => ({
    query:
      'mutation($p: String!, $v: String, $t: ID) { installCatalogPackage(packageId: $p, version: $v, tenantId: $t) { flow metadata { packageId name version authorEmail } } }',
    variables: { p: packageId, v: version, t: tenantId },
  })),
  fc
    .tuple(packageIdValue, versionValue, looseValue(installValuesArb), looseValue(fc.option(fc.array(bindingArb, { maxLength: 3 }))))
    .map(([packageId, version, parameters, bindings]) => ({
      query:
        'mutation($p: String!, $v: String, $params: JSON, $b: [CatalogCredentialBindingInput!]) { installCatalogPackage(packageId: $p, version: $v, parameters: $params, credentialBindings: $b) { flow metadata { version parameters credentialBindings { slot credential } } } }',
      variables: { p: packageId, v: version, params: parameters, b: bindings },
    })),
  fc
    .array(
      fc.record(
        {
          packageId: looseValue(packageIdValue),
          fromVersion: versionValue,
          toVersion: versionValue,
          tenantId: tenantValue,
          copy: fc.oneof(flowArb, fc.jsonValue({ maxDepth: 2 })),
          parameters: installValuesArb,
          credentialBindings: fc.option(fc.array(bindingArb, { maxLength: 2 })),
          environment: fc.option(environmentArb),
        },
        { requiredKeys: ['packageId', 'fromVersion', 'copy'] },
      ),
      { maxLength: 3 },
    )
    .map((inputs) => ({
      query:
        'query($i: [CatalogUpgradeInput!]!) { catalogUpgradePreviews(inputs: $i) { state toVersion merged conflicts { kind nodeId path base ours theirs } applied { kind path value } requirements { code } } }',
      variables: { i: inputs },
    })),
  fc
    .tuple(packageIdValue, versionValue, looseValue(environmentArb), looseValue(fc.option(anyString(12))), tenantValue)
    .map(([packageId, version, environment, channel, tenantId]) => ({
      query:
        'query($p: String!, $v: String, $e: CatalogEnvironmentInput!, $c: String, $t: ID) { catalogInstallCheck(packageId: $p, version: $v, environment: $e, channel: $c, tenantId: $t) { version installable problems { code subject nodeIds } bindings { slot credential matchedBy } newestCompatibleVersion } }',
      variables: { p: packageId, v: version, e: environment, c: channel, t: tenantId },
    })),
  fc
    .tuple(
      packageIdValue,
      looseValue(fc.constantFrom('TENANT', 'GROUPS', 'tenant')),
      looseValue(fc.option(fc.array(fc.string({ maxLength: 10 }), { maxLength: 60 }))),
    )
    .map(([packageId, visibility, groups]) => ({
      query:
        'mutation($p: String!, $vis: CatalogVisibility!, $g: [ID!]) { setCatalogPackageVisibility(packageId: $p, visibility: $vis, visibilityGroupIds: $g) { id visibility visibilityGroupIds } }',
      variables: { p: packageId, vis: visibility, g: groups },
    })),
  packageIdValue.map((packageId) => ({ query: 'mutation($p: String!) { deleteCatalogPackage(packageId: $p) }', variables: { p: packageId } })),
  fc
    .tuple(fc.constantFrom('deprecate', 'withdraw'), packageIdValue, versionValue, looseValue(anyString(600)), tenantValue)
    .map(([action, packageId, version, reason, tenantId]) => ({
      query: `mutation($p: String!, $v: String!, $r: String!, $t: ID) { ${action}CatalogPackageVersion(packageId: $p, version: $v, reason: $r, tenantId: $t) { version status statusReason } }`,
      variables: { p: packageId, v: version, r: reason, t: tenantId },
    })),
  fc.tuple(packageIdValue, versionValue, tenantValue).map(([packageId, version, tenantId]) => ({
    query: 'mutation($p: String!, $v: String!, $t: ID) { restoreCatalogPackageVersion(packageId: $p, version: $v, tenantId: $t) { version status } }',
    variables: { p: packageId, v: version, t: tenantId },
  })),
  looseValue(
    fc.array(fc.record({ packageId: looseValue(packageIdValue), version: versionValue, tenantId: tenantValue }, { requiredKeys: ['packageId', 'version'] }), {
      maxLength: 8,
    }),
  ).map((installed) => ({
    query:
      'query($i: [CatalogInstalledInput!]!) { catalogUpdates(installed: $i) { packageId installedVersion latestVersion updateAvailable installedStatus newerVersions { version changelog } } }',
    variables: { i: installed },
  })),
  fc.tuple(packageIdValue, versionValue, versionValue, tenantValue).map(([packageId, from, to, tenantId]) => ({
    query:
      'query($p: String!, $f: String!, $to: String!, $t: ID) { catalogPackageDiff(packageId: $p, from: $f, to: $to, tenantId: $t) { nodesAdded nodesRemoved nodesChanged { nodeId changedPaths } edgesAdded edgesRemoved } }',
    variables: { p: packageId, f: from, to, t: tenantId },
  })),
  fc
    .array(
      fc.oneof(
        fc.record({ __typename: fc.constant('CatalogPackage'), id: looseValue(fc.oneof(fc.uuid(), anyString(40))) }),
        fc.record(
          { __typename: fc.constant('CatalogPackage'), tenantId: looseValue(anyString(20)), packageId: looseValue(anyString(20)) },
          { requiredKeys: ['__typename'] },
        ),
        fc.record({ __typename: fc.constantFrom('Flow', 'User', 'Nope', ''), id: looseValue(anyString(20)) }, { requiredKeys: ['__typename'] }),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      { maxLength: 5 },
    )
    .map((representations) => ({
      query:
        'query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on CatalogPackage { id packageId name version } ... on Flow { catalogPackages { id } } } }',
      variables: { r: representations },
    })),
);

// ---- REST -----------------------------------------------------------------------------------

/** encodeURIComponent throws on lone surrogates: the URL cannot carry them anyway. */
const wellFormed = (value: string) => value.replace(/[\ud800-\udfff]/g, '');
const segmentArb = fc.oneof(
  fc.constantFrom('fuzz-a', 'nope', 'publish', '..', '%2e%2e', '%00', '', '%ZZ', '%', '%E0%A4', '%C0%AF'),
  anyString(20).map((value) => encodeURIComponent(wellFormed(value))),
);
const queryStringArb = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'cursor', 'version', 'tenant_id', 'q', 'tag', 'node_type', 'author_id', 'order', 'x', 'limit[]'),
      fc.oneof(anyString(20), fc.integer().map(String), cursorArb),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(wellFormed(v))}`).join('&')}` : ''));
const restBodyArb = fc.oneof(
  fc
    .record(
      {
        package_id: fc.oneof(fc.constantFrom('fuzz-a', 'fuzz-rest'), fc.string({ maxLength: 20 })),
        name: anyString(20),
        version: fc.oneof(fc.constantFrom('0.1.0', '2.0.0'), anyString(10)),
        description: fc.option(anyString(20)),
        readme: fc.option(anyString(20)),
        flow_id: fc.option(fc.oneof(fc.constant('flow-1'), anyString(10)), { freq: 4 }),
        tags: fc.option(fc.array(anyString(10), { maxLength: 3 })),
        content: flowArb,
        visibility: fc.constantFrom('tenant', 'groups', 'TENANT', 'x'),
        visibility_group_ids: fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
        parameters: fc.oneof(fc.array(parameterArb, { maxLength: 2 }), installValuesArb),
        runtime: fc.option(anyString(12)),
        credential_bindings: fc.oneof(fc.array(bindingArb, { maxLength: 2 }), fc.jsonValue({ maxDepth: 1 })),
        extra: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
);
/** JSON text with bytes that are not UTF-8 spliced in (a lone continuation byte, an overlong form, a surrogate). */
const invalidUtf8Body = fc
  .tuple(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0xc3, 0x28]))
  .map(([value, bad]) => {
    const text = JSON.stringify({ query: '{ __typename }', package_id: 'fuzz-a', name: 'x', extra: value });
    const at = text.indexOf('"x"') + 2;
    return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]);
  });

const restRequestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'),
  path: fc.oneof(
    fc.constant('/api/v1/catalog'),
    fc.constant('/api/v1/catalog/publish'),
    segmentArb.map((id) => `/api/v1/catalog/${id}`),
    segmentArb.map((id) => `/api/v1/catalog/${id}/install`),
    segmentArb.map((id) => `/api/v1/catalog/${id}/visibility`),
    fc.tuple(segmentArb, segmentArb).map(([a, b]) => `/api/v1/catalog/${a}/${b}`),
  ),
  query: queryStringArb,
  contentType: fc.constantFrom(
    'application/json',
    'application/problem+json',
    'text/plain',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'multipart/form-data',
    '',
  ),
  contentEncoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'zstd', 'identity', 'nope'), { freq: 5 }),
  body: fc.option(fc.oneof({ weight: 4, arbitrary: restBodyArb.map((text) => Buffer.from(text)) }, invalidUtf8Body), { freq: 6 }),
  auth: fc.constantFrom('good', 'good', 'good', 'viewer', 'none', 'garbage'),
});

// ---- the properties -------------------------------------------------------------------------

/** A flows service that knows no flow: a publish by `flowId` is then a plain NOT_FOUND. */
async function startEmptyFlowsService(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('fuzz: nothing a caller sends gets a 5xx, a stack trace or SQL back', () => {
  let t: TestApp;
  let flows: { url: string; server: Server };
  const tokens: Record<string, string | null> = {};

  beforeAll(async () => {
    flows = await startEmptyFlowsService();
    t = await startTestApp({ flowsApiUrl: flows.url });
    const tenant = uniqueTenant('fuzz');
    tokens.good = await t.token({ tenant, user: 'fuzzer' });
    tokens.viewer = await t.token({ tenant, user: 'viewer', scopes: 'scaicore:view' });
    tokens.none = null;
    tokens.garbage = 'not.a.jwt';
    // Something to find, so that lists and installs do real work.
    await t.gql(tokens.good, 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id } }', {
      input: { packageId: 'fuzz-a', name: 'Fuzz A', version: '0.1.0', content: flowContent('Fuzz A') },
    });
    console.log(`fuzz seed ${SEED} (set FUZZ_SEED to replay, FUZZ_RUNS to multiply the case counts)`);
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => flows.server.close(resolve));
    const total = Object.values(tallies).reduce((sum, tally) => sum + tally.cases, 0);
    for (const [name, tally] of Object.entries(tallies)) {
      const codes = Object.entries(tally.codes).sort((a, b) => b[1] - a[1]);
      console.log(`fuzz ${name}: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
    }
    console.log(
      `fuzz cases: ${total} in all (${Object.entries(tallies)
        .map(([name, tally]) => `${name}: ${tally.cases} (${tally.executed} executed)`)
        .join(', ')}); 0 with a 5xx, a stack trace or SQL`,
    );
  });

  async function postGraphql(what: string, body: string | Buffer, token: string | null = tokens.good!, headers: Record<string, string> = {}): Promise<string> {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body,
    });
    const text = await response.text();
    check(what, body.toString(), response.status, text);
    return text;
  }

  async function property<T>(name: string, runs: number, arb: fc.Arbitrary<T>, run: (value: T) => Promise<unknown>): Promise<void> {
    tallies[name] = current = { cases: 0, executed: 0, codes: {} };
    await fc.assert(
      fc.asyncProperty(arb, async (value) => {
        tallies[name]!.cases += 1;
        await run(value);
      }),
      { numRuns: runs * RUNS, seed: SEED, endOnFailure: true },
    );
  }

  it('random GraphQL documents (grammar-built) with random variables', async () => {
    await property(
      'graphql documents',
      1000,
      fc.tuple(documentArb, variablesArb, fc.option(fc.constantFrom('Q', 'M', 'nope'))),
      ([query, variables, operationName]) => postGraphql('document', JSON.stringify({ query, variables, operationName })),
    );
  });

  it('random token soup and raw text as documents', async () => {
    await property('graphql token soup', 700, fc.oneof(tokenSoupArb, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 })), (query) =>
      postGraphql('token soup', JSON.stringify({ query })),
    );
  });

  it('random request bodies: not JSON objects, odd fields, persisted-query extensions', async () => {
    const bodyArb = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            query: fc.jsonValue({ maxDepth: 2 }),
            variables: fc.jsonValue({ maxDepth: 2 }),
            operationName: fc.jsonValue({ maxDepth: 1 }),
            extensions: fc.jsonValue({ maxDepth: 3 }),
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
      fc
        .record({
          extensions: fc.record({
            persistedQuery: fc.record(
              { version: fc.oneof(fc.constant(1), fc.jsonValue({ maxDepth: 0 })), sha256Hash: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()) },
              { requiredKeys: [] },
            ),
          }),
        })
        .map((b) => JSON.stringify(b)),
      fc.string({ maxLength: 100 }),
    );
    await property('graphql bodies', 500, fc.tuple(bodyArb, fc.constantFrom('good', 'none', 'garbage')), ([body, who]) =>
      postGraphql('body', body, tokens[who] ?? null),
    );
  });

  it('bodies that are not UTF-8, in other charsets or encodings', async () => {
    const headersArb = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'application/json; charset=latin1',
          'application/json; charset=utf-16',
          'application/json; charset=UTF-8',
          'text/plain',
        ),
        'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'zstd', 'identity', 'nope'),
      },
      { requiredKeys: ['content-type'] },
    );
    await property(
      'graphql encodings',
      300,
      fc.tuple(fc.oneof(invalidUtf8Body, fc.constant(Buffer.from('{"query":"{ __typename }"}'))), headersArb),
      ([body, headers]) => postGraphql('encoding', body, tokens.good!, headers),
    );
  });

  it('tokens with hostile claims', async () => {
    const claimsArb = fc.record(
      {
        tid: fc.oneof(fc.constant('acme'), anyString(20), fc.constantFrom('..', '../acme', 'a/b', 't'.repeat(129)), fc.jsonValue({ maxDepth: 1 })),
        sub: fc.oneof(fc.constant('alice'), anyString(20), fc.constant('u'.repeat(257)), fc.jsonValue({ maxDepth: 1 })),
        email: fc.oneof(fc.constant('a@example.test'), anyString(20), fc.constant(`${'e'.repeat(320)}@x`), fc.jsonValue({ maxDepth: 1 })),
        groups: fc.oneof(fc.array(anyString(12), { maxLength: 4 }), fc.constant(Array.from({ length: 201 }, (_, i) => `g${i}`)), fc.jsonValue({ maxDepth: 1 })),
      },
      { requiredKeys: [] },
    );
    await property('hostile claims', 150, fc.tuple(claimsArb, fc.boolean()), async ([claims, publish]) => {
      const token = await t.issuer.sign({ scp: 'scaicore:view scaicore:manage', ...claims } as JWTPayload);
      const body = publish
        ? JSON.stringify({
            query: 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id } }',
            variables: { input: { packageId: 'fuzz-claims', name: 'C', version: '1.0.0', content: flowContent('C') } },
          })
        : JSON.stringify({ query: '{ catalogPackages { edges { node { id } } } }' });
      await postGraphql('claims', body, token);
    });
  });

  it('well-formed operations of the schema with random variables, answering only the error codes each documents', async () => {
    const documented = await documentedCodes();
    const found = new Set<string>();
    await property('graphql operations', 1500, operationArb, async (operation) => {
      const text = await postGraphql('operation', JSON.stringify(operation));
      for (const gap of undocumented(documented, operation.query, text)) found.add(gap);
    });
    expect([...found]).toEqual([]);
  });

  it('random publish inputs through GraphQL variables, answering only the error codes publish documents', async () => {
    const documented = await documentedCodes();
    const found = new Set<string>();
    await property(
      'graphql publish inputs',
      500,
      fc.tuple(publishInputArb, fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, fc.constantFrom('k1', 'k2'), fc.string({ maxLength: 30 }))),
      async ([input, key]) => {
        const query = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id version } }';
        const body = JSON.stringify({ query, variables: { input } });
        const response = await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tokens.good}`,
            ...(key !== null ? { 'idempotency-key': key.replace(/[^\x20-\x7e]/g, '') } : {}),
          },
          body,
        });
        const text = await response.text();
        check('publish input', body, response.status, text);
        for (const gap of undocumented(documented, query, text)) found.add(gap);
      },
    );
    expect([...found]).toEqual([]);
  });

  it('random REST requests: methods, paths, query strings, content types and bodies', async () => {
    await property('rest requests', 1500, restRequestArb, async (request) => {
      const token = tokens[request.auth];
      const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
      const response = await fetch(`${t.url}${request.path}${request.query}`, {
        method: request.method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(hasBody && request.contentType ? { 'content-type': request.contentType } : {}),
          ...(hasBody && request.contentEncoding ? { 'content-encoding': request.contentEncoding } : {}),
        },
        body: hasBody ? request.body! : undefined,
      });
      check(
        `REST ${request.method} ${request.path}`,
        JSON.stringify({ ...request, body: request.body?.toString('latin1') }),
        response.status,
        await response.text(),
      );
    });
  });
});
