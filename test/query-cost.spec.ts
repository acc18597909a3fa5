import { flowContent } from './support/flows';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The cost budget (src/graphql/cost.ts) refuses amplifying queries before they run; ordinary
 * lists pass, and their `versions` load in one batched query. Also GraphQL-over-HTTP statuses.
 */
jest.setTimeout(120_000);

const PUBLISH = 'mutation($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { id } }';
const versionsOf = (first: number) => `versions(first: ${first}) { edges { node { version sha256 publishedAt } } pageInfo { hasNextPage } }`;

describe('query cost budget', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.token({ tenant: 'cost', user: 'alice' });
    for (let i = 0; i < 20; i += 1) {
      for (const version of ['1.0.0', '1.1.0']) {
        const response = await t.gql(token, PUBLISH, {
          input: { packageId: `cost-${i}`, name: `P${i}`, version, readme: '# r', content: flowContent(`P${i}`) },
        });
        expect(response.body.errors).toBeUndefined();
      }
    }
  });
  afterAll(() => t?.close());

  it('refuses five aliased 100 × 100 pages with readmes before running them, naming cost and limit', async () => {
    const alias = (n: number) => `p${n}: catalogPackages(first: 100) { edges { node { readme ${versionsOf(100)} } } }`;
    t.sqlLog.length = 0;
    const response = await t.gql(token, `{ ${[1, 2, 3, 4, 5].map(alias).join(' ')} }`);
    expect(response.status).toBe(400);
    const error = response.body.errors?.[0];
    expect(error?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    expect(error?.extensions?.limit).toBe(10_000);
    expect(error?.extensions?.cost).toBeGreaterThan(100_000);
    expect(response.body.data).toBeUndefined();
    expect(t.sqlLog.filter((sql) => /catalog_package/.test(sql))).toEqual([]);
  });

  it('counts `first` given as a variable', async () => {
    const response = await t.gql(token, `query($n: Int) { catalogPackages(first: $n) { edges { node { ${versionsOf(100)} } } } }`, { n: 100 });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
  });

  it('lets an ordinary page of 20 packages with 5 versions each through, in ONE versions query', async () => {
    t.sqlLog.length = 0;
    const response = await t.gql(token, `{ catalogPackages(first: 20) { edges { node { packageId name readme author { id } ${versionsOf(5)} } } } }`);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const nodes = response.body.data.catalogPackages.edges.map((edge: any) => edge.node);
    expect(nodes).toHaveLength(20);
    for (const node of nodes) expect(node.versions.edges.map((edge: any) => edge.node.version)).toEqual(['1.1.0', '1.0.0']);
    expect(t.sqlLog.filter((sql) => /from catalog_package_version/.test(sql))).toHaveLength(1);
  });

  it('pages versions of a list like the unbatched path: hasNextPage and a cursor to continue', async () => {
    const response = await t.gql(
      token,
      `{ catalogPackages(first: 3) { edges { node { versions(first: 1) { edges { cursor node { version } } pageInfo { hasNextPage endCursor } } } } } }`,
    );
    const versions = response.body.data.catalogPackages.edges[0].node.versions;
    expect(versions.edges.map((edge: any) => edge.node.version)).toEqual(['1.1.0']);
    expect(versions.pageInfo).toEqual({ hasNextPage: true, endCursor: versions.edges[0].cursor });
    const next = await t.gql(
      token,
      `query($a: String) { catalogPackage(packageId: "cost-19") { versions(first: 1, after: $a) { edges { node { version } } } } }`,
      {
        a: versions.pageInfo.endCursor,
      },
    );
    expect(next.body.data.catalogPackage.versions.edges.map((edge: any) => edge.node.version)).toEqual(['1.0.0']);
  });
});

describe('GraphQL over HTTP', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.token({ tenant: 'http', user: 'alice' });
    await t.gql(token, PUBLISH, { input: { packageId: 'mine', name: 'Mine', version: '1.0.0', content: flowContent('Mine') } });
  });
  afterAll(() => t?.close());

  it('answers 200 with data and errors when one root field fails and another succeeds', async () => {
    const response = await t.gql(
      token,
      '{ mine: catalogPackage(packageId: "mine") { packageId } other: catalogPackage(packageId: "mine", tenantId: "someone-else") { packageId } }',
    );
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ mine: { packageId: 'mine' }, other: null });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps the error status when data is null', async () => {
    const refused = await t.gql(token, '{ catalogUsage(tenantId: "someone-else") { packages } }');
    expect(refused.body.data).toBeNull();
    expect(refused.status).toBe(403);
  });

  it('answers a 401 in application/graphql-response+json when the client asks for it', async () => {
    const ask = (accept: string) =>
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query: '{ catalogPackages { edges { cursor } } }' }),
      });
    const modern = await ask('application/graphql-response+json, application/json;q=0.9');
    expect(modern.status).toBe(401);
    expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(((await modern.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const legacy = await ask('application/json');
    expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('declares author nullable', async () => {
    const response = await t.gql(token, '{ __type(name: "CatalogPackage") { fields { name type { kind } } } }');
    const author = response.body.data.__type.fields.find((field: any) => field.name === 'author');
    expect(author.type.kind).toBe('OBJECT');
  });
});
