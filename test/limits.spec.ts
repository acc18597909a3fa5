import { Lexer, Source, TokenKind } from 'graphql';
import { GRAPHQL_LIMITS } from '../src/graphql/limits';
import { MAX_PAGE_SIZE } from '../src/common/pagination';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Every request limit at its boundary: at the limit the request runs, one past it is refused with
 * a message naming the limit, before any resolver runs and without a single SQL statement.
 */
jest.setTimeout(60_000);

describe('GraphQL request limits', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    // The limiter's store stays in memory here, so that the SQL log shows only catalog work.
    t = await startTestApp({ edge: { rateLimit: { store: 'memory' } } });
    token = await t.token({ tenant: uniqueTenant(), user: 'alice' });
  });
  afterAll(() => t.close());

  /** Sends the document and returns the response with the SQL that it caused. */
  async function send(query: string, variables?: Record<string, unknown>) {
    t.sqlLog.length = 0;
    const response = await t.gql(token, query, variables);
    return { ...response, sql: [...t.sqlLog] };
  }

  async function expectRefused(query: string, message: RegExp, variables?: Record<string, unknown>) {
    const { status, body, sql } = await send(query, variables);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.message).toMatch(message);
    expect(body.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|\n\s+at /);
    expect(status).toBe(400);
    expect(sql).toEqual([]);
  }

  async function expectRuns(query: string, variables?: Record<string, unknown>) {
    const { status, body, sql } = await send(query, variables);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    return sql;
  }

  const LIST = 'catalogPackages(first: 1) { edges { node { id } } }'; // depth 4

  describe(`depth (${GRAPHQL_LIMITS.depth})`, () => {
    // Each `... on Query` adds one level in GraphQL Armor's count, like a field would.
    const nested = (levels: number) => `{ ${'... on Query { '.repeat(levels)}${LIST}${' }'.repeat(levels)} }`;

    it('runs a query at the limit, touching the database', async () => {
      const sql = await expectRuns(nested(GRAPHQL_LIMITS.depth - 4));
      expect(sql.length).toBeGreaterThan(0);
    });

    it('refuses one level more', async () => {
      await expectRefused(
        nested(GRAPHQL_LIMITS.depth - 3),
        new RegExp(`^Query depth limit of ${GRAPHQL_LIMITS.depth} exceeded, found ${GRAPHQL_LIMITS.depth + 1}\\.$`),
      );
    });

    it('counts the deepest real path of the schema as allowed', async () => {
      await expectRuns('{ catalogPackages(first: 1) { edges { node { versions(first: 1) { edges { node { version } } } } } } }');
    });
  });

  describe(`aliases (${GRAPHQL_LIMITS.aliases})`, () => {
    const aliased = (n: number) => `{ catalogPackages(first: 1) { edges { node { ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } } } }`;

    it('runs a query at the limit', async () => {
      await expectRuns(aliased(GRAPHQL_LIMITS.aliases));
    });

    it('refuses one alias more', async () => {
      await expectRefused(
        aliased(GRAPHQL_LIMITS.aliases + 1),
        new RegExp(`^Aliases limit of ${GRAPHQL_LIMITS.aliases} exceeded, found ${GRAPHQL_LIMITS.aliases + 1}\\.$`),
      );
    });

    it('does not count aliases of __typename', async () => {
      const typenames = Array.from({ length: GRAPHQL_LIMITS.aliases + 3 }, (_, i) => `t${i}: __typename`);
      await expectRuns(`{ catalogPackages(first: 1) { edges { node { ${typenames.join(' ')} } } } }`);
    });
  });

  describe(`root fields (${GRAPHQL_LIMITS.rootFields})`, () => {
    const roots = (n: number) => `{ ${LIST}${' __typename'.repeat(n - 1)} }`;

    it('runs a query at the limit', async () => {
      await expectRuns(roots(GRAPHQL_LIMITS.rootFields));
    });

    it('refuses one root field more', async () => {
      await expectRefused(
        roots(GRAPHQL_LIMITS.rootFields + 1),
        new RegExp(`^Root fields limit of ${GRAPHQL_LIMITS.rootFields} exceeded, found ${GRAPHQL_LIMITS.rootFields + 1}\\.$`),
      );
    });

    it('counts root fields brought in by fragments, and mutations too', async () => {
      await expectRefused(
        `query { ...A ...B } fragment A on Query { ${LIST} __typename __typename } fragment B on Query { __typename __typename __typename }`,
        /^Root fields limit of \d+ exceeded, found 6\.$/,
      );
      const deletes = Array.from({ length: GRAPHQL_LIMITS.rootFields + 1 }, (_, i) => `d${i}: deleteCatalogPackage(packageId: "p${i}")`);
      await expectRefused(`mutation { ${deletes.join(' ')} }`, /^Root fields limit/);
    });
  });

  describe(`directives (${GRAPHQL_LIMITS.directives})`, () => {
    const FIELDS = ['id', 'packageId', 'name', 'version', 'visibility', 'createdAt'];
    // Two directives per field, the last field gets one when the count is odd.
    const directed = (n: number) => {
      const parts: string[] = [];
      for (let i = 0, left = n; left > 0; i += 1, left -= 2) {
        parts.push(`${FIELDS[i]} @include(if: true)${left > 1 ? ' @skip(if: false)' : ''}`);
      }
      return `{ catalogPackages(first: 1) { edges { node { ${parts.join(' ')} } } } }`;
    };

    it('runs a query at the limit', async () => {
      await expectRuns(directed(GRAPHQL_LIMITS.directives));
    });

    it('refuses one directive more', async () => {
      await expectRefused(
        directed(GRAPHQL_LIMITS.directives + 1),
        new RegExp(`^Directives limit of ${GRAPHQL_LIMITS.directives} exceeded, found ${GRAPHQL_LIMITS.directives + 1}\\.$`),
      );
    });
  });

  describe(`tokens (${GRAPHQL_LIMITS.tokens})`, () => {
    const countTokens = (query: string) => {
      const lexer = new Lexer(new Source(query));
      let n = 0;
      while (lexer.advance().kind !== TokenKind.EOF) n += 1;
      return n;
    };
    // Numbers in a list inside the inline flow: one token each. (Repeating a field would trip
    // graphql-js's own budget for comparing overlapping fields first.)
    const withTokens = (n: number) => {
      const base = (pad: number) =>
        `mutation { publishCatalogPackage(input: { packageId: "token-limit", name: "T", version: "0.1.0", content: { name: "T", nodes: [{ id: "start", type: "start", config: { pad: [${'0 '.repeat(pad)}] } }], edges: [] } }) { version } }`;
      const query = base(n - countTokens(base(0)));
      expect(countTokens(query)).toBe(n);
      return query;
    };

    it('runs a document at the limit', async () => {
      await expectRuns(withTokens(GRAPHQL_LIMITS.tokens));
    });

    it('refuses one token more, without parsing the rest', async () => {
      await expectRefused(withTokens(GRAPHQL_LIMITS.tokens + 1), new RegExp(`^Token limit of ${GRAPHQL_LIMITS.tokens} exceeded`));
    });
  });

  describe(`list size (first <= ${MAX_PAGE_SIZE})`, () => {
    it(`runs first: ${MAX_PAGE_SIZE}`, async () => {
      await expectRuns(`{ catalogPackages(first: ${MAX_PAGE_SIZE}) { edges { node { id } } } }`);
    });

    it(`refuses first: ${MAX_PAGE_SIZE + 1} as BAD_USER_INPUT before any SQL`, async () => {
      const { body, sql } = await send(`{ catalogPackages(first: ${MAX_PAGE_SIZE + 1}) { edges { node { id } } } }`);
      expect(body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors![0]!.message).toMatch(/first must be between 1 and 100/);
      expect(sql).toEqual([]);
    });
  });

  describe(`body size (${GRAPHQL_LIMITS.bodyBytes})`, () => {
    const LIMIT_BYTES = 2 * 1024 * 1024;
    const bodyOf = (bytes: number) => {
      const empty = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
      const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(bytes - empty.length) } });
      expect(Buffer.byteLength(body)).toBe(bytes);
      return body;
    };
    const post = async (body: string) => {
      t.sqlLog.length = 0;
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      return { status: response.status, body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] }, sql: [...t.sqlLog] };
    };

    it('accepts a body of exactly the limit', async () => {
      const { status } = await post(bodyOf(LIMIT_BYTES));
      expect(status).toBe(200);
    });

    it('refuses one byte more with 413 PAYLOAD_TOO_LARGE', async () => {
      const { status, body, sql } = await post(bodyOf(LIMIT_BYTES + 1));
      expect(status).toBe(413);
      expect(body.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
      expect(sql).toEqual([]);
    });
  });

  it('refuses batched requests', async () => {
    t.sqlLog.length = 0;
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify([{ query: `{ ${LIST} }` }, { query: `{ ${LIST} }` }]),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/batch/i);
    expect(t.sqlLog).toEqual([]);
  });
});
