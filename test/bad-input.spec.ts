import { encodeCursor } from '../src/common/pagination';
import { flowContent } from './support/flows';
import { startTestApp, ALL_SCOPES, type TestApp } from './support/test-app';

/**
 * Each client mistake that once answered 500 (issue 11) answers a client error with its code,
 * and nothing is written before the mistake is found.
 */
jest.setTimeout(120_000);

const PUBLISH = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id version } }';
const INSTALL = 'mutation($p: String!, $v: String, $t: ID) { installCatalogPackage(packageId: $p, version: $v, tenantId: $t) { metadata { version } } }';

describe('client mistakes are client errors', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
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
      const refused = await t.gql(token, UPDATES, { i: [{ packageId: 'bad-a', version: '1.0.0' }, { packageId: 'bad-a', version: '1.0.0', tenantId: 'bad-input\u0000' }] });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ path: '$.installed[1].tenantId' }] });

      const answered = await t.gql(token, UPDATES, { i: [{ packageId: 'bad\u0000a', version: '1.0.0' }, { packageId: 'bad-a', version: '0.9.0' }] });
      expect(answered.body).toEqual({
        data: {
          catalogUpdates: [
            { packageId: 'bad\u0000a', latestVersion: null, updateAvailable: false },
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
      ['query', { query: 'inv\u0000oice' }, '$.query'],
      ['authorId', { authorId: 'a\u0000' }, '$.authorId'],
      ['nodeTypes', { nodeTypes: ['action.\u0000slack'] }, '$.nodeTypes[0]'],
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

  describe('media types and encodings', () => {
    const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });

    it.each([
      ['/graphql charset latin1', '/graphql', JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json; charset=latin1' }],
      ['/graphql unknown Content-Encoding', '/graphql', JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json', 'content-encoding': 'zstd-nope' }],
      ['/graphql invalid UTF-8', '/graphql', Buffer.concat([Buffer.from('{"query":"{ __typename }","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), { 'content-type': 'application/json' }],
      ['REST invalid UTF-8', '/api/v1/catalog/publish', Buffer.concat([Buffer.from('{"package_id":"utf","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), { 'content-type': 'application/json' }],
    ])('%s: 415 UNSUPPORTED_MEDIA_TYPE', async (_what, path, body, headers) => {
      const response = await post(path, body, headers);
      expect(response.status).toBe(415);
      expect(await response.text()).toMatch(/UNSUPPORTED_MEDIA_TYPE/);
    });
  });
});
