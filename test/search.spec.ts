import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { ALL_SCOPES, startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Finding packages (docs/API.md, "Finding packages") on the real app over HTTP: ranking, every
 * filter and order paged to the end, visibility under search, totalCount, REST against GraphQL.
 * One seeded catalog; the property draws filters, orders and page sizes over it.
 */

jest.setTimeout(180_000);

const PUBLISH = `mutation Publish($input: PublishCatalogPackageInput!) {
  publishCatalogPackage(input: $input) { packageId tags nodeTypes installCount }
}`;

const SEARCH = `query Search($first: Int, $after: String, $filter: CatalogPackageFilter, $orderBy: CatalogPackageOrder) {
  catalogPackages(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id packageId authorId tags nodeTypes installCount } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const COUNT = `query Count($filter: CatalogPackageFilter) { catalogPackages(first: 1, filter: $filter) { totalCount } }`;

const INSTALL = `mutation Install($packageId: String!) { installCatalogPackage(packageId: $packageId) { metadata { version } } }`;

const SET_VISIBILITY = `mutation SetVisibility($packageId: String!, $groups: [ID!]) {
  setCatalogPackageVisibility(packageId: $packageId, visibility: GROUPS, visibilityGroupIds: $groups) { visibility }
}`;

interface Node {
  id: string;
  packageId: string;
  authorId: string;
  tags: string[];
  nodeTypes: string[];
  installCount: number;
}

type Filter = { query?: string; tags?: string[]; authorId?: string; nodeTypes?: string[] };
const ORDERS = ['NEWEST', 'RECENTLY_UPDATED', 'NAME', 'MOST_INSTALLED', 'RELEVANCE'] as const;

/** The seeded catalog: ids, who publishes, text, tags, node types and how often each is installed. */
const SEED = [
  {
    packageId: 'customer-support',
    user: 'alice',
    name: 'Customer support',
    description: 'Answers tickets',
    tags: ['helpdesk'],
    types: ['llm.chat', 'start'],
    installs: 3,
  },
  {
    packageId: 'invoice-reminder',
    user: 'alice',
    name: 'Reminders',
    description: 'Chases unpaid invoices every week',
    tags: ['billing'],
    types: ['email.send', 'start'],
    installs: 1,
  },
  { packageId: 'custom-fields', user: 'bob', name: 'Field mapper', description: 'Maps CRM fields', tags: ['crm'], types: ['start', 'transform'], installs: 0 },
  {
    packageId: 'lead-scoring',
    user: 'bob',
    name: 'Lead scoring',
    description: 'Scores leads for sales',
    tags: ['crm', 'sales'],
    types: ['llm.chat', 'start'],
    installs: 2,
  },
  {
    packageId: 'ticket-triage',
    user: 'carol',
    name: 'Ticket triage',
    description: 'Routes support tickets to teams',
    tags: ['helpdesk', 'routing'],
    types: ['llm.chat', 'router', 'start'],
    installs: 2,
  },
  {
    packageId: 'payment-retry',
    user: 'carol',
    name: 'Payment retry',
    description: 'Retries failed card payments',
    tags: ['billing'],
    types: ['http.request', 'start'],
    installs: 0,
  },
  {
    packageId: 'weekly-report',
    user: 'alice',
    name: 'Weekly report',
    description: 'Sends a sales summary',
    tags: ['sales', 'reporting'],
    types: ['email.send', 'start'],
    installs: 1,
  },
  {
    packageId: 'secret-plans',
    user: 'alice',
    name: 'Secret plans',
    description: 'Only for the g1 group: customer invoices',
    tags: ['billing'],
    types: ['start'],
    installs: 0,
  },
];

function flowOf(types: readonly string[]): Record<string, unknown> {
  return { name: 'flow', nodes: types.map((type, i) => ({ id: `n${i}`, type })), edges: [] };
}

/** `quokka` first, then distinct letter-only words (aaa, aab, …) up to exactly `bytes`. */
function distinctWordsReadme(bytes: number): string {
  const words = ['quokka'];
  let length = words[0]!.length;
  for (let n = 26 * 26; length + 6 <= bytes; n += 1) {
    const word = n.toString(26).replace(/./g, (digit) => String.fromCharCode(97 + parseInt(digit, 26)));
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ').padEnd(bytes, 'z');
}

describe('finding packages', () => {
  let t: TestApp;
  const tenant = uniqueTenant('search');
  const tokens: Record<string, string> = {};

  const gql = async <T>(who: string, query: string, variables: Record<string, unknown>) => {
    const response = await t.gql<T>(tokens[who]!, query, variables);
    expect(response.body.errors).toBeUndefined();
    return response.body.data!;
  };

  /** Every page of a search, following endCursor. */
  async function pageThrough(who: string, filter: Filter | null, orderBy: string | null, first: number): Promise<Node[]> {
    const all: Node[] = [];
    let after: string | null = null;
    do {
      const data: any = await gql(who, SEARCH, { first, after, filter, orderBy });
      all.push(...data.catalogPackages.edges.map((edge: { node: Node }) => edge.node));
      after = data.catalogPackages.pageInfo.hasNextPage ? data.catalogPackages.pageInfo.endCursor : null;
    } while (after);
    return all;
  }

  beforeAll(async () => {
    t = await startTestApp();
    for (const user of ['alice', 'bob', 'carol']) {
      tokens[user] = await t.token({ tenant, user, email: `${user}@x.example`, scopes: ALL_SCOPES });
    }
    tokens['member'] = await t.token({ tenant, user: 'member', scopes: ALL_SCOPES, groups: ['g1'] });
    tokens['stranger'] = await t.token({ tenant: uniqueTenant('other'), user: 'stranger', scopes: ALL_SCOPES });
    for (const seed of SEED) {
      const input = {
        packageId: seed.packageId,
        name: seed.name,
        description: seed.description,
        version: '1.0.0',
        tags: seed.tags,
        content: flowOf(seed.types),
      };
      await gql(seed.user, PUBLISH, { input });
      for (let i = 0; i < seed.installs; i += 1) await gql(seed.user, INSTALL, { packageId: seed.packageId });
    }
    await gql('alice', SET_VISIBILITY, { packageId: 'secret-plans', groups: ['g1'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  test('publish keeps tags and derives node types; install counts', async () => {
    const all = await pageThrough('alice', null, 'NAME', 100);
    const ticket = all.find((node) => node.packageId === 'ticket-triage')!;
    expect(ticket).toMatchObject({ tags: ['helpdesk', 'routing'], nodeTypes: ['llm.chat', 'router', 'start'], installCount: 2 });
    const response = await t.gql(tokens['alice']!, PUBLISH, {
      input: { packageId: 'bad-tags', name: 'x', version: '1.0.0', tags: ['Not A Slug'], content: flowOf(['start']) },
    });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test.each([
    ['cust', 'customer-support'],
    ['unpaid invoices', 'invoice-reminder'],
    ['support tickets', 'ticket-triage'],
    ['lead', 'lead-scoring'],
    ['payments', 'payment-retry'],
  ])('"%s" finds %s first', async (query, expected) => {
    const found = await pageThrough('alice', { query }, null, 100);
    expect(found[0]?.packageId).toBe(expected);
  });

  test('a query matching nothing finds nothing; a prefix of a hidden word does not reveal it', async () => {
    expect(await pageThrough('alice', { query: 'zzzz' }, null, 100)).toEqual([]);
    expect((await pageThrough('bob', { query: 'secret' }, null, 100)).map((node) => node.packageId)).toEqual([]);
    expect((await pageThrough('member', { query: 'secret' }, null, 100)).map((node) => node.packageId)).toEqual(['secret-plans']);
    expect(await pageThrough('stranger', { query: 'cust' }, null, 100)).toEqual([]);
  });

  test('every filter and order, paged in any size: the pages are the whole list, once, and totalCount counts it', async () => {
    const everything = await pageThrough('alice', null, null, 100);
    const authors = ['alice', 'bob', 'carol'];
    const filterArb = fc.record(
      {
        query: fc.constantFrom('cust', 'sales', 'invoices', 'ticket', 'start', 'rep'),
        tags: fc.subarray(['helpdesk', 'billing', 'crm', 'sales'], { maxLength: 2 }),
        authorId: fc.constantFrom(...authors),
        nodeTypes: fc.subarray(['start', 'llm.chat', 'email.send'], { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(filterArb, fc.option(fc.constantFrom(...ORDERS), { nil: null }), fc.integer({ min: 1, max: 4 }), async (filter, orderBy, first) => {
        const paged = await pageThrough('alice', filter, orderBy, first);
        const onePage = await pageThrough('alice', filter, orderBy, 100);
        expect(paged.map((node) => node.id)).toEqual(onePage.map((node) => node.id));
        expect(new Set(paged.map((node) => node.id)).size).toBe(paged.length);
        // Without a query the filters are exact; with one the result is a subset.
        const expected = everything.filter(
          (node) =>
            (filter.tags ?? []).every((tag) => node.tags.includes(tag)) &&
            (filter.nodeTypes ?? []).every((type) => node.nodeTypes.includes(type)) &&
            (filter.authorId === undefined || node.authorId === filter.authorId),
        );
        const expectedIds = expected.map((node) => node.id).sort();
        if (filter.query === undefined) expect(paged.map((node) => node.id).sort()).toEqual(expectedIds);
        else expect(paged.every((node) => expectedIds.includes(node.id))).toBe(true);
        if (orderBy === 'MOST_INSTALLED') {
          const counts = paged.map((node) => node.installCount);
          expect(counts).toEqual([...counts].sort((a, b) => b - a));
        }
        const counted: any = await gql('alice', COUNT, { filter });
        expect(counted.catalogPackages.totalCount).toBe(paged.length);
      }),
      { numRuns: 20 },
    );
  });

  test('search never shows what the plain list hides', async () => {
    for (const who of ['bob', 'member', 'stranger']) {
      const visible = new Set((await pageThrough(who, null, null, 100)).map((node) => node.id));
      for (const query of ['cust', 'invoices', 'secret', 'billing', 'plans']) {
        for (const node of await pageThrough(who, { query }, null, 100)) expect(visible.has(node.id)).toBe(true);
      }
    }
  });

  test('a readme at the limit, of distinct words, from a GUID tenant and a 128-character one: published and found by its first words', async () => {
    const readme = distinctWordsReadme(256 * 1024);
    expect(Buffer.byteLength(readme)).toBe(256 * 1024);
    for (const longTenant of [randomUUID(), `t${'x'.repeat(100)}${randomUUID()}`.slice(0, 128)]) {
      const token = await t.token({ tenant: longTenant, user: 'writer', scopes: ALL_SCOPES });
      const input = { packageId: 'big-readme', name: 'Big readme', version: '1.0.0', readme, content: flowOf(['start']) };
      const published = await t.gql<any>(token, PUBLISH, { input });
      expect(published.body.errors).toBeUndefined();
      const found = async (query: string, who = token) => {
        const response = await t.gql<any>(who, SEARCH, { first: 10, filter: { query } });
        expect(response.body.errors).toBeUndefined();
        return response.body.data.catalogPackages.edges.map((edge: { node: Node }) => edge.node.packageId);
      };
      expect(await found('quokka')).toEqual(['big-readme']);
      expect(await found('quok')).toEqual(['big-readme']);
      // A tenant's words are those of the first 8,192 positions: the last words of this readme are past them.
      expect(await found(readme.slice(readme.lastIndexOf(' ') + 1))).toEqual([]);
      expect(await found('quokka', tokens['alice'])).toEqual([]);
    }
  });

  test('a cursor only continues the filter and order it came from', async () => {
    const data: any = await gql('alice', SEARCH, { first: 1, orderBy: 'NAME' });
    const cursor = data.catalogPackages.pageInfo.endCursor;
    for (const variables of [{ orderBy: 'NEWEST' }, { orderBy: 'NAME', filter: { tags: ['crm'] } }, {}]) {
      const response = await t.gql(tokens['alice']!, SEARCH, { first: 1, after: cursor, ...variables });
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  test('REST takes the same search as GraphQL', async () => {
    const cases: [string, Filter, string | null][] = [
      ['q=cust', { query: 'cust' }, null],
      ['tag=crm,sales&sort=name', { tags: ['crm', 'sales'] }, 'NAME'],
      ['node_type=llm.chat&sort=installs', { nodeTypes: ['llm.chat'] }, 'MOST_INSTALLED'],
      ['author_id=bob&sort=updated', { authorId: 'bob' }, 'RECENTLY_UPDATED'],
      ['q=sales&sort=relevance&limit=1', { query: 'sales' }, 'RELEVANCE'],
    ];
    for (const [params, filter, orderBy] of cases) {
      const response = await fetch(`${t.url}/api/v1/catalog?${params}`, { headers: { authorization: `Bearer ${tokens['alice']}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { package_id: string }[];
      const limit = params.includes('limit=1') ? 1 : 100;
      const data: any = await gql('alice', SEARCH, { first: limit, filter, orderBy });
      expect(body.map((summary) => summary.package_id)).toEqual(data.catalogPackages.edges.map((edge: { node: Node }) => edge.node.packageId));
    }
    const bad = await fetch(`${t.url}/api/v1/catalog?sort=popular`, { headers: { authorization: `Bearer ${tokens['alice']}` } });
    expect(bad.status).toBe(400);
  });
});
