import { encodeCursor } from '../src/common/pagination';
import { flowContent } from './support/flows';
import { captureLogs, describeLine, LOG_LEVEL } from './support/log-capture';
import { startTestApp, ALL_SCOPES, type TestApp } from './support/test-app';

/**
 * Each client mistake that once answered 500 (issue 11) answers a client error with its code,
 * and nothing is written before the mistake is found.
 */
jest.setTimeout(120_000);

const PUBLISH = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id version } }';
const INSTALL = 'mutation($p: String!, $v: String, $t: ID) { installCatalogPackage(packageId: $p, version: $v, tenantId: $t) { metadata { version } } }';

/** Strings PostgreSQL refuses (NUL; lone surrogates, which are not UTF-8), each valid JSON. */
const UNSTORABLE = ['a\u0000b', 'x\udc00', '\udfff\ud800y'];

/** Every string argument of every operation, each sent as the variable of the same name. */
const OPERATIONS: [string, string, Record<string, unknown>][] = [
  [
    'catalogPackages',
    'query($after: String, $filter: CatalogPackageFilter) { catalogPackages(after: $after, filter: $filter) { totalCount } }',
    { after: 'abc', filter: { query: 'q', tags: ['t'], authorId: 'alice', nodeTypes: ['start'] } },
  ],
  [
    'catalogPackage',
    'query($packageId: String!, $tenantId: ID) { catalogPackage(packageId: $packageId, tenantId: $tenantId) { id } }',
    { packageId: 'bad-a', tenantId: 'bad-input' },
  ],
  [
    'catalogAuditEvents',
    'query($packageId: String!, $after: String, $tenantId: ID) { catalogAuditEvents(packageId: $packageId, after: $after, tenantId: $tenantId) { edges { cursor } } }',
    { packageId: 'bad-a', after: 'abc', tenantId: 'bad-input' },
  ],
  [
    'catalogUpdates',
    'query($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) { updateAvailable } }',
    { installed: [{ packageId: 'bad-a', version: '1.0.0', tenantId: 'bad-input' }] },
  ],
  [
    'catalogPackageDiff',
    'query($packageId: String!, $from: String!, $to: String!, $tenantId: ID) { catalogPackageDiff(packageId: $packageId, from: $from, to: $to, tenantId: $tenantId) { from } }',
    { packageId: 'bad-a', from: '1.0.0', to: '1.0.0', tenantId: 'bad-input' },
  ],
  ['catalogUsage', 'query($tenantId: ID) { catalogUsage(tenantId: $tenantId) { packages } }', { tenantId: 'bad-input' }],
  ...(['deprecate', 'withdraw'] as const).map((action): [string, string, Record<string, unknown>] => [
    `${action}CatalogPackageVersion`,
    `mutation($packageId: String!, $version: String!, $reason: String!, $tenantId: ID) { ${action}CatalogPackageVersion(packageId: $packageId, version: $version, reason: $reason, tenantId: $tenantId) { status } }`,
    { packageId: 'bad-a', version: '1.0.0', reason: 'a reason', tenantId: 'bad-input' },
  ]),
  [
    'restoreCatalogPackageVersion',
    'mutation($packageId: String!, $version: String!, $tenantId: ID) { restoreCatalogPackageVersion(packageId: $packageId, version: $version, tenantId: $tenantId) { status } }',
    { packageId: 'bad-a', version: '1.0.0', tenantId: 'bad-input' },
  ],
  [
    'publishCatalogPackage',
    PUBLISH,
    {
      input: {
        packageId: 'bad-u',
        name: 'U',
        description: 'd',
        version: '1.0.0',
        readme: 'r',
        changelog: 'c',
        tags: ['t'],
        content: { ...flowContent('U'), meta: { labels: ['x'] } },
      },
    },
  ],
  [
    'installCatalogPackage',
    INSTALL.replace(/\$p\b/g, '$packageId').replace(/\$v\b/g, '$version').replace(/\$t\b/g, '$tenantId'),
    { packageId: 'bad-a', version: '1.0.0', tenantId: 'bad-input' },
  ],
  [
    'setCatalogPackageVisibility',
    'mutation($packageId: String!, $visibilityGroupIds: [ID!], $tenantId: ID) { setCatalogPackageVisibility(packageId: $packageId, visibility: GROUPS, visibilityGroupIds: $visibilityGroupIds, tenantId: $tenantId) { id } }',
    { packageId: 'bad-a', visibilityGroupIds: ['g1'], tenantId: 'bad-input' },
  ],
  [
    'deleteCatalogPackage',
    'mutation($packageId: String!, $tenantId: ID) { deleteCatalogPackage(packageId: $packageId, tenantId: $tenantId) }',
    { packageId: 'bad-a', tenantId: 'bad-input' },
  ],
  [
    '_entities',
    'query($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }',
    {
      representations: [
        { __typename: 'CatalogPackage', id: 'x' },
        { __typename: 'CatalogPackage', tenantId: 'bad-input', packageId: 'bad-a' },
        { __typename: 'Flow', id: 'f' },
      ],
    },
  ],
];

/** Each string in `value` (member names included) with the JSON path GraphQL's arguments give it, and a copy with it replaced. */
function everyString(value: unknown, path: string, replace: (bad: unknown) => unknown): { path: string; replaced: (bad: string) => unknown }[] {
  if (typeof value === 'string') return [{ path, replaced: (bad) => replace(bad) }];
  if (Array.isArray(value)) return value.flatMap((item, i) => everyString(item, `${path}[${i}]`, (bad) => replace(value.map((v, j) => (j === i ? bad : v)))));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => everyString(item, `${path}.${key}`, (bad) => replace({ ...value, [key]: bad })));
  }
  return [];
}

const STRING_CASES = OPERATIONS.flatMap(([name, query, variables]) =>
  everyString(variables, '$', (bad) => bad).map(({ path, replaced }) => [name, path, query, replaced] as const),
);

const logs = captureLogs();

describe('client mistakes are client errors', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({}, { logger: logs.logger });
    token = await t.token({ tenant: 'bad-input', user: 'alice' });
    const published = await t.gql(token, PUBLISH, { input: { packageId: 'bad-a', name: 'A', version: '1.0.0', content: flowContent('A') } });
    expect(published.body.errors).toBeUndefined();
  });
  afterAll(() => t?.close());

  describe('control characters in publish input', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['NUL in name', { name: 'a\u0000b' }, 'name'],
      ['ESC in description', { description: 'x\u001b[31m' }, 'description'],
      ['NUL in readme', { readme: '# r\u0000' }, 'readme'],
      ['DEL in name', { name: 'a\u007fb' }, 'name'],
      ['NUL in a tag', { tags: ['ok', 'a\u0000'] }, 'tags[1]'],
    ];
    it.each(cases)('%s: BAD_USER_INPUT naming the field, no blob written', async (_what, patch, field) => {
      const before = await t.blobNames();
      const response = await t.gql(token, PUBLISH, { input: { packageId: 'bad-b', name: 'B', version: '1.0.0', content: flowContent('B'), ...patch } });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const paths = (response.body.errors?.[0]?.extensions?.problems as { path: string }[]).map((p) => p.path);
      expect(paths.some((path) => path.endsWith(field))).toBe(true);
      expect(await t.blobNames()).toEqual(before);
    });

    it('tabs and newlines stay allowed in readme and description', async () => {
      const response = await t.gql(token, PUBLISH, {
        input: { packageId: 'bad-c', name: 'C', version: '1.0.0', content: flowContent('C'), description: 'a\tb\r\nc', readme: '# t\n\tx\r\n' },
      });
      expect(response.body.errors).toBeUndefined();
    });
  });

  describe('claims', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['NUL in tid', { tid: 'acme\u0000' }],
      ['NUL in sub', { sub: 'al\u0000ice' }],
      ['control character in email', { email: 'a\u0007@example.test' }],
      ['NUL in a group', { groups: ['g1', 'g\u0000'] }],
      ['sub longer than 256', { sub: 'u'.repeat(257) }],
      ['email longer than 320', { email: `${'e'.repeat(320)}@x` }],
      ['tid longer than 128', { tid: 't'.repeat(129) }],
      ['tid with a path segment', { tid: '../catalog/victim' }],
      ['tid with a slash', { tid: 'a/b' }],
      ['tid of dots', { tid: '..' }],
      ['a group id longer than 128', { groups: ['g'.repeat(129)] }],
      ['too many groups', { groups: Array.from({ length: 201 }, (_, i) => `g${i}`) }],
    ];
    it.each(cases)('%s: 401 UNAUTHENTICATED before anything is written', async (_what, patch) => {
      const before = await t.blobNames();
      const signed = await t.issuer.sign({ sub: 'alice', tid: 'acme', email: 'alice@example.test', scp: ALL_SCOPES, ...patch });
      const response = await t.gql(signed, PUBLISH, { input: { packageId: 'claims', name: 'C', version: '1.0.0', content: flowContent('C') } });
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.body.errors?.[0]?.message).toMatch(/tid|sub|email|group/);
      expect(await t.blobNames()).toEqual(before);
    });

    it('a tid with dots, colons, @ and hyphens is fine', async () => {
      const signed = await t.issuer.sign({ sub: 'alice', tid: 'org.example:tenant@eu-1', scp: ALL_SCOPES });
      const response = await t.gql(signed, '{ catalogPackages { edges { cursor } } }');
      expect(response.status).toBe(200);
    });
  });

  describe('arguments and keys', () => {
    it.each([
      ['NUL in version', { p: 'bad-a', v: '1.0.0\u0000' }],
      ['NUL in tenantId', { p: 'bad-a', t: 'acme\u0000' }],
      ['NUL in packageId', { p: 'bad\u0000a' }],
    ])('%s of install: a client error', async (_what, variables) => {
      const response = await t.gql(token, INSTALL, variables);
      expect(response.status).toBeLessThan(500);
      expect(['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN']).toContain(response.body.errors?.[0]?.extensions?.code);
    });

    it('NUL in catalogPackage tenantId: a client error', async () => {
      const response = await t.gql(token, 'query($t: ID) { catalogPackage(packageId: "bad-a", tenantId: $t) { id } }', { t: 'x\u0000' });
      expect(response.status).toBeLessThan(500);
      expect(JSON.stringify(response.body)).not.toMatch(/INTERNAL_SERVER_ERROR/);
    });

    it.each([
      ['id with NUL', [{ __typename: 'CatalogPackage', id: 'a\u0000b' }]],
      ['tenantId with NUL', [{ __typename: 'CatalogPackage', tenantId: 'a\u0000', packageId: 'bad-a' }]],
      ['packageId with NUL', [{ __typename: 'CatalogPackage', tenantId: 'bad-input', packageId: 'a\u0000' }]],
      ['Flow without id', [{ __typename: 'Flow' }]],
      ['Flow with a NUL id', [{ __typename: 'Flow', id: 'f\u0000' }]],
    ])('_entities %s: not a 500', async (_what, representations) => {
      const response = await t.gql(token, 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: representations });
      expect(response.status).toBeLessThan(500);
      expect(JSON.stringify(response.body)).not.toMatch(/INTERNAL_SERVER_ERROR/);
    });

    // These once reached PostgreSQL, whose refusal of a NUL answered 503 SERVICE_UNAVAILABLE; other
    // malformed tenant ids answered a tenant that cannot exist (zero usage) instead of refusing.
    it.each(['a\u0000b', '../bad-input', 't'.repeat(129)])('catalogUsage(tenantId: %j): BAD_USER_INPUT, even for a super admin', async (tenantId) => {
      for (const who of [token, await t.token({ tenant: 'bad-input', user: 'root', roles: ['super_admin'] })]) {
        const response = await t.gql(who, 'query($t: ID) { catalogUsage(tenantId: $t) { packages } }', { t: tenantId });
        expect(response.status).toBe(400);
        expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path: '$.tenantId' }] });
      }
    });

    it('catalogUpdates: a tenant id that is not one is BAD_USER_INPUT naming the input; a package id that is not a slug answers as unknown', async () => {
      const UPDATES = 'query($i: [CatalogInstalledInput!]!) { catalogUpdates(installed: $i) { packageId latestVersion updateAvailable } }';
      const refused = await t.gql(token, UPDATES, {
        i: [
          { packageId: 'bad-a', version: '1.0.0' },
          { packageId: 'bad-a', version: '1.0.0', tenantId: 'bad-input\u0000' },
        ],
      });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path: '$.installed[1].tenantId' }] });

      const answered = await t.gql(token, UPDATES, {
        i: [
          { packageId: 'Bad A', version: '1.0.0' },
          { packageId: 'bad-a', version: '0.9.0' },
        ],
      });
      expect(answered.body).toEqual({
        data: {
          catalogUpdates: [
            { packageId: 'Bad A', latestVersion: null, updateAvailable: false },
            { packageId: 'bad-a', latestVersion: '1.0.0', updateAvailable: true },
          ],
        },
      });
    });

    it('REST: NUL in ?version= and ?tenant_id= are client errors', async () => {
      for (const query of ['version=1.0.0%00', 'tenant_id=acme%00']) {
        const response = await fetch(`${t.url}/api/v1/catalog/bad-a/install?${query}`, { headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        // The route was reached (not a 404 for an unknown endpoint): the parameter itself was refused.
        expect(((await response.json()) as { detail: string }).detail).not.toMatch(/No such endpoint/);
      }
    });

    it.each([
      ['query', { query: 'inv\u0000oice' }, '$.filter.query'],
      ['authorId', { authorId: 'a\u0007' }, '$.authorId'],
      ['nodeTypes', { nodeTypes: ['action.\u0000slack'] }, '$.filter.nodeTypes[0]'],
    ])('search filter: a control character in %s is BAD_USER_INPUT, never sent to the database', async (_what, filter, path) => {
      const response = await t.gql(token, 'query($f: CatalogPackageFilter) { catalogPackages(filter: $f) { totalCount } }', { f: filter });
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((response.body.errors?.[0]?.extensions?.problems as { path: string }[]).map((p) => p.path)).toEqual([path]);
    });

    it('REST: a control character in ?q= is a 400 problem', async () => {
      const response = await fetch(`${t.url}/api/v1/catalog?q=inv%00oice`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('BAD_USER_INPUT');
    });

    it('REST: malformed percent-encoding in the path is a 400 problem', async () => {
      const response = await fetch(`${t.url}/api/v1/catalog/%ZZ/install`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    });

    it.each([
      ['year 0', new Date(Date.UTC(0, 0, 1))],
      ['year 275000', new Date(8.64e15)],
    ])('a cursor holding a date out of range (%s) is BAD_USER_INPUT', async (_what, date) => {
      const after = Buffer.from(JSON.stringify({ k: date.toISOString(), t: 'd', i: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
      const response = await t.gql(token, 'query($a: String) { catalogPackages(after: $a) { edges { cursor } } }', { a: after });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      // The encoder refuses nothing: the check is in the decoder.
      expect(encodeCursor({ key: new Date(0), id: 'x' })).toBeTruthy();
    });
  });

  it.each([
    ['MOST_INSTALLED', 1.5],
    ['MOST_INSTALLED', 1e300],
    ['NAME', 'a\u0000'],
    ['NAME', 7],
  ])('a cursor of the %s order with the key %p edited is BAD_USER_INPUT', async (orderBy, key) => {
    const query = 'query($o: CatalogPackageOrder, $a: String) { catalogPackages(orderBy: $o, first: 1, after: $a) { edges { cursor } } }';
    const first = await t.gql(token, query, { o: orderBy });
    const cursor = JSON.parse(Buffer.from(first.body.data.catalogPackages.edges[0].cursor, 'base64url').toString('utf8'));
    const edited = Buffer.from(JSON.stringify({ ...cursor, k: key, t: typeof key === 'number' ? 'n' : 's' })).toString('base64url');
    const response = await t.gql(token, query, { o: orderBy, a: edited });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  describe('strings the database cannot store, in every argument of every operation', () => {
    const loudLines = () => logs.atOrAbove(LOG_LEVEL.warn).map(describeLine);
    beforeEach(() => logs.clear());

    it.each(STRING_CASES)('%s, %s: BAD_USER_INPUT at that path, logged at info or below', async (_name, path, query, replaced) => {
      for (const response of await Promise.all(UNSTORABLE.map((bad) => t.gql(token, query, replaced(bad) as Record<string, unknown>)))) {
        expect(response.status).toBe(400);
        expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path }] });
      }
      expect(loudLines()).toEqual([]);
    });

    it.each([
      ['a version', 'catalogPackageDiff(packageId: "bad-a", from: "1.0.0\\u0000", to: "1.0.0") { from }', '$.from'],
      ['a reason', 'x: withdrawCatalogPackageVersion(packageId: "bad-a", version: "1.0.0", reason: "r\\u0000") { status }', '$.reason'],
      [
        'a JSON scalar, nested',
        'publishCatalogPackage(input: { packageId: "bad-l", name: "L", version: "1.0.0", content: { nodes: [{ id: "start", type: "start", config: { x: "\\u0000" } }] } }) { id }',
        '$.input.content.nodes[0].config.x',
      ],
      ['a default value', 'catalogPackage(packageId: $p) { id }', '$.packageId'],
    ])('inline, in %s: BAD_USER_INPUT at its argument', async (_what, selection, path) => {
      const operation = selection.includes('Version') || selection.startsWith('publish') ? 'mutation' : 'query';
      const query = selection.includes('$p') ? `query($p: String! = "bad\\u0000") { ${selection} }` : `${operation} { ${selection} }`;
      const response = await t.gql(token, query);
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path }] });
      expect(loudLines()).toEqual([]);
    });

    it('a member name that cannot be stored is located by its parent, never repeated', async () => {
      const content = { ...flowContent('K'), meta: { 'key\u0000': 1 } };
      const response = await t.gql(token, PUBLISH, { input: { packageId: 'bad-k', name: 'K', version: '1.0.0', content } });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.problems).toEqual([{ path: '$.input.content.meta', message: expect.stringMatching(/member name/) }]);
    });

    it('a withdrawal whose reason holds a NUL changes nothing, and the version still installs', async () => {
      const before = await t.blobNames();
      const refused = await t.gql(
        token,
        'mutation($r: String!) { withdrawCatalogPackageVersion(packageId: "bad-a", version: "1.0.0", reason: $r) { status } }',
        { r: 'oops\u0000' },
      );
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await t.gql(token, INSTALL, { p: 'bad-a', v: '1.0.0' })).body.data?.installCatalogPackage?.metadata).toEqual({ version: '1.0.0' });
      expect(await t.blobNames()).toEqual(before);
    });

    const rest = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${t.url}/api/v1/catalog${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    const publishBody = {
      package_id: 'bad-r',
      name: 'R',
      version: '1.0.0',
      description: 'd',
      readme: 'r',
      changelog: 'c',
      tags: ['t'],
      content: { ...flowContent('R'), meta: { labels: ['x'] } },
    };
    const REST_BODY_CASES = [
      ...everyString(publishBody, '$', (bad) => bad).map(({ path, replaced }) => ['POST /publish', path, '/publish', 'POST', replaced] as const),
      ...everyString({ visibility: 'groups', visibility_group_ids: ['g1'] }, '$', (bad) => bad)
        .filter(({ path }) => path !== '$.visibility')
        .map(({ path, replaced }) => ['PATCH /bad-a/visibility', path, '/bad-a/visibility', 'PATCH', replaced] as const),
    ];

    it.each(REST_BODY_CASES)('REST %s, %s: a 400 problem locating it', async (_what, path, url, method, replaced) => {
      for (const response of await Promise.all(UNSTORABLE.map((bad) => rest(url, { method, body: replaced(bad) })))) {
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(await response.json()).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path }] });
      }
      expect(loudLines()).toEqual([]);
    });

    // A URL cannot carry a lone surrogate (percent-decoding gives U+FFFD or a 400), so NUL only.
    it.each([
      ['GET', '?q=a%00', '$.q'],
      ['GET', '?tag=a%00b', '$.tag'],
      ['GET', '?author_id=%00', '$.author_id'],
      ['GET', '?cursor=a%00&limit=2', '$.cursor'],
      ['GET', '/bad-a/install?version=1.0.0%00', '$.version'],
      ['GET', '/bad-a/install?tenant_id=bad-input%00', '$.tenant_id'],
      ['DELETE', '/bad-a?tenant_id=%00', '$.tenant_id'],
      ['GET', '/bad%00a/install', '$.package_id'],
      ['DELETE', '/%00', '$.package_id'],
    ])('REST %s %s: a 400 problem locating it', async (method, url, path) => {
      const response = await rest(url, { method });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path }] });
      expect(loudLines()).toEqual([]);
    });
  });

  describe('values of the wrong type and unusable representations', () => {
    const loudLines = () => logs.atOrAbove(LOG_LEVEL.warn).map(describeLine);
    beforeEach(() => logs.clear());

    it.each([
      ['an object for an ID', 'query($t: ID) { catalogUsage(tenantId: $t) { packages } }', { t: { a: 1 } }],
      ['a float for an ID', 'query($t: ID) { catalogPackage(packageId: "bad-a", tenantId: $t) { id } }', { t: 1.5 }],
      ['a boolean for a String', 'query($p: String!) { catalogPackage(packageId: $p) { id } }', { p: true }],
      [
        'a list of objects for [ID!]',
        'mutation($g: [ID!]) { setCatalogPackageVisibility(packageId: "bad-a", visibility: GROUPS, visibilityGroupIds: $g) { id } }',
        { g: [{}] },
      ],
      ['null for a non-null version', 'mutation($v: String!) { restoreCatalogPackageVersion(packageId: "bad-a", version: $v) { status } }', { v: null }],
      ['an unknown enum value', 'query($o: CatalogPackageOrder) { catalogPackages(orderBy: $o) { totalCount } }', { o: 'nope' }],
      ['a string for an input object', 'query($i: [CatalogInstalledInput!]!) { catalogUpdates(installed: $i) { updateAvailable } }', { i: 'x' }],
      ['a number past Int', 'query($f: Int) { catalogPackages(first: $f) { totalCount } }', { f: 2 ** 40 }],
    ])('%s: 400 BAD_USER_INPUT, logged at info or below', async (_what, query, variables) => {
      const response = await t.gql(token, query, variables);
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(loudLines()).toEqual([]);
    });

    it.each([
      ['CatalogPackage with a number for id', { __typename: 'CatalogPackage', id: 5 }],
      ['CatalogPackage with a null id', { __typename: 'CatalogPackage', id: null }],
      ['CatalogPackage without a key', { __typename: 'CatalogPackage' }],
      ['CatalogPackage with half a key', { __typename: 'CatalogPackage', tenantId: 'bad-input' }],
      ['CatalogPackage with an object for packageId', { __typename: 'CatalogPackage', tenantId: 'bad-input', packageId: { a: 1 } }],
      ['Flow without id', { __typename: 'Flow' }],
      ['Flow with an object for id', { __typename: 'Flow', id: {} }],
      ['Flow with a number for id', { __typename: 'Flow', id: 5 }],
      ['User with a list for id', { __typename: 'User', id: [1] }],
      ['a list', [{ __typename: 'Flow', id: 'f' }]],
      ['no __typename', { id: 'x' }],
    ])('_entities, %s: 400 BAD_USER_INPUT naming it, logged at info or below', async (_what, bad) => {
      const query =
        'query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on CatalogPackage { id } ... on Flow { id catalogPackages { id } } } }';
      const response = await t.gql(token, query, { r: [{ __typename: 'CatalogPackage', id: '00000000-0000-4000-8000-000000000000' }, bad] });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((response.body.errors?.[0]?.extensions?.problems as { path: string }[])[0]?.path).toMatch(/^\$\.representations\[1\]/);
      expect(loudLines()).toEqual([]);
    });

    it('_entities with null among the representations: 400 BAD_USER_INPUT, logged at info or below', async () => {
      const response = await t.gql(token, 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [null] });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(loudLines()).toEqual([]);
    });

    it('usable representations of every entity type still resolve', async () => {
      const response = await t.gql(token, 'query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Flow { id } } }', {
        r: [
          { __typename: 'CatalogPackage', tenantId: 'bad-input', packageId: 'bad-a' },
          { __typename: 'Flow', id: 'f-1' },
        ],
      });
      expect(response.body).toEqual({ data: { _entities: [{ __typename: 'CatalogPackage' }, { __typename: 'Flow', id: 'f-1' }] } });
    });
  });

  describe('media types and encodings', () => {
    const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });

    it.each([
      ['/graphql charset latin1', '/graphql', JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json; charset=latin1' }],
      [
        '/graphql unknown Content-Encoding',
        '/graphql',
        JSON.stringify({ query: '{ __typename }' }),
        { 'content-type': 'application/json', 'content-encoding': 'zstd-nope' },
      ],
      [
        '/graphql invalid UTF-8',
        '/graphql',
        Buffer.concat([Buffer.from('{"query":"{ __typename }","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
        { 'content-type': 'application/json' },
      ],
      [
        'REST invalid UTF-8',
        '/api/v1/catalog/publish',
        Buffer.concat([Buffer.from('{"package_id":"utf","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
        { 'content-type': 'application/json' },
      ],
    ])('%s: 415 UNSUPPORTED_MEDIA_TYPE', async (_what, path, body, headers) => {
      const response = await post(path, body, headers);
      expect(response.status).toBe(415);
      expect(await response.text()).toMatch(/UNSUPPORTED_MEDIA_TYPE/);
    });
  });
});
