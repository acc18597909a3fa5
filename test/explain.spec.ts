import { Client } from 'pg';
import { PERMISSION_VIEW, ROLE_SUPER_ADMIN, type Caller } from '../src/common/caller';
import type { Em } from '../src/infra/db/database';
import type { Cursor } from '../src/common/pagination';
import { visibleRows } from '../src/modules/access/policy';
import { PackageRepository } from '../src/modules/package/package.repository';
import { NO_SEARCH, parsePackageSearch, type PackageSearch } from '../src/modules/package/package-search';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * The list query must stay an index walk at scale: with 110,000 packages, the plan of the very SQL
 * the repository sends uses the list indexes for the visibility filter and for the order (no sort
 * node, no sequential scan of catalog_package); searches and tag / node type filters are index
 * scans, and a search in one tenant reads that tenant's matches only. PostgreSQL only: plans are the server's.
 */
const serverUrl = process.env.TEST_DATABASE_URL;
const onPostgres = serverUrl ? describe : describe.skip;

const PACKAGES = 100_000;
const TENANTS = 1_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

function caller(overrides: Partial<Caller> = {}): Caller {
  return {
    tenantId: 'tenant-42',
    userId: 'user-3',
    email: 'user-3@example.test',
    groups: ['grp-1', 'grp-4'],
    permissions: new Set([PERMISSION_VIEW]),
    roles: new Set(),
    ...overrides,
  };
}

/** The SQL and parameters `listVisible` sends, captured instead of run. */
async function listSql(who: Caller, after: Cursor | null, search: PackageSearch = NO_SEARCH): Promise<{ sql: string; params: unknown[] }> {
  let captured: { sql: string; params: unknown[] } | undefined;
  const em = {
    async execute(sql: string, params: unknown[] = []) {
      captured = { sql, params };
      return [];
    },
  } as unknown as Em;
  await new PackageRepository().listVisible(em, visibleRows(who), 20, after, search);
  return captured!;
}

onPostgres('list query plan at 100,000 packages', () => {
  let database: TestDatabase;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase({ serverUrl });
    await (await database.openMigrated()).close();
    db = new Client({ connectionString: database.url! });
    await db.connect();
    // A third of the packages visible to groups, 2% deleted, 100 per tenant, one every five minutes;
    // every package has an installable default version, as published packages do. Every description
    // has the same words, one in a hundred names says "zebra".
    await db.query(
      `insert into catalog_package (id, tenant_id, package_id, name, description, tags, node_types, latest_version, default_version, author_id,
         author_email, visibility, visibility_group_ids, created_at, updated_at, deleted_at)
       select gen_random_uuid(), 'tenant-' || (i % $2), 'pkg-' || i, case when i % 100 = 0 then 'Zebra crossing ' || i else 'Package ' || i end,
         'Routes each ticket through an llm check',
         case when i % 1000 = 0 then array['legal'] when i % 10 = 0 then array['finance'] else array['support'] end,
         case when i % 1000 = 0 then array['action.sign', 'llm.chat'] else array['llm.chat'] end,
         '1.0.0', '1.0.0', 'user-' || (i % 20),
         'user-' || (i % 20) || '@example.test', case when i % 3 = 0 then 'groups' else 'tenant' end,
         case when i % 3 = 0 then array['grp-' || (i % 10)] else '{}'::text[] end,
         timestamptz '2024-01-01' + i * interval '5 minutes', timestamptz '2024-01-01' + i * interval '5 minutes',
         case when i % 50 = 0 then now() else null end
       from generate_series(1, $1::int) as i`,
      [PACKAGES, TENANTS],
    );
    // And one large tenant, visible to all its members, one name in 200 with "zebra".
    await db.query(
      `insert into catalog_package (id, tenant_id, package_id, name, description, latest_version, default_version, author_id, visibility,
         created_at, updated_at)
       select gen_random_uuid(), 'tenant-big', 'big-' || i, case when i % 200 = 0 then 'Zebra crossing ' || i else 'Big ' || i end,
         'Routes each ticket through an llm check', '1.0.0', '1.0.0', 'user-' || (i % 20), 'tenant',
         timestamptz '2024-01-01' + i * interval '5 minutes', timestamptz '2024-01-01' + i * interval '5 minutes'
       from generate_series(1, 10000) as i`,
    );
    await db.query('analyze catalog_package');
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  }, 60_000);

  async function plan(who: Caller, after: Cursor | null, search?: PackageSearch, analyze = false): Promise<PlanNode[]> {
    const { sql, params } = await listSql(who, after, search);
    let n = 0;
    const positional = sql.replace(/\?/g, () => `$${++n}`);
    const result = await db.query(`explain (${analyze ? 'analyze, ' : ''}format json) ${positional}`, params);
    const [{ Plan }] = result.rows[0]['QUERY PLAN'] as [{ Plan: PlanNode }];
    return nodesOf(Plan);
  }

  // A cursor in the middle of tenant-42's packages (created_at of package 50,042).
  const middle: Cursor = { key: new Date(Date.UTC(2024, 0, 1) + 50_042 * 5 * 60_000), id: 'ffffffff-ffff-4fff-bfff-ffffffffffff' };

  test.each([
    ['a tenant member, first page', caller(), null, 'catalog_package_tenant_list_idx'],
    ['a tenant member, after a cursor', caller(), middle, 'catalog_package_tenant_list_idx'],
    ['a member of no group', caller({ groups: [] }), middle, 'catalog_package_tenant_list_idx'],
    ['a super admin, first page', caller({ roles: new Set([ROLE_SUPER_ADMIN]) }), null, 'catalog_package_global_list_idx'],
    ['a super admin, after a cursor', caller({ roles: new Set([ROLE_SUPER_ADMIN]) }), middle, 'catalog_package_global_list_idx'],
  ])('%s: an index walk in list order, no sort, no sequential scan', async (_label, who, after, index) => {
    const nodes = await plan(who, after);
    const described = JSON.stringify(nodes.map((node) => [node['Node Type'], node['Index Name'] ?? node['Relation Name']]));
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'catalog_package')).toEqual([]);
    // The visibility filter's leading condition and the order both come from the list index …
    expect(nodes.some((node) => node['Node Type'] === 'Index Scan' && node['Index Name'] === index)).toBe(true);
    // … so nothing is sorted (a Sort node would mean reading every visible row first).
    expect(nodes.filter((node) => node['Node Type'] === 'Sort' || node['Node Type'] === 'Incremental Sort')).toEqual([]);
    expect(described).toContain(index);
  });

  // tenant-big holds 10,000 packages: all of them match "llm", 50 match "zebra" (1,000 more elsewhere).
  const big = caller({ tenantId: 'tenant-big' });
  test.each([
    ['a word in every description', 'llm check', 10_000],
    ['a rare word', 'zebra', 50],
    ['a prefix', 'zeb', 50],
  ])("a tenant member's search (%s) reads that tenant's words only", async (_label, query, matches) => {
    const nodes = await plan(big, null, parsePackageSearch({ query }, null), true);
    const indexes = nodes.filter((node) => node['Index Name']?.startsWith('catalog_package'));
    expect(indexes.length).toBeGreaterThan(0);
    // The catalog-wide index would read the word's matches in every tenant.
    expect(indexes.map((node) => node['Index Name'])).not.toContain('catalog_package_search_idx');
    const heap = nodes.filter((node) => node['Relation Name'] === 'catalog_package');
    expect(heap.map((node) => node['Actual Rows'])).toEqual([matches]);
  });

  const noSeqScan = (nodes: PlanNode[]) => nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'catalog_package');
  const indexNames = (nodes: PlanNode[]) => nodes.map((node) => node['Index Name']).filter(Boolean);

  test.each([
    ['tags', { tags: ['finance'] }],
    ['node types', { nodeTypes: ['llm.chat'] }],
    ['tags, node types and a query', { tags: ['finance'], nodeTypes: ['llm.chat'], query: 'zebra' }],
  ])("a tenant member's filter by %s is index scans only", async (_label, filter) => {
    for (const who of [caller(), big]) {
      const nodes = await plan(who, null, parsePackageSearch(filter, null));
      expect(noSeqScan(nodes)).toEqual([]);
      expect(indexNames(nodes).length).toBeGreaterThan(0);
    }
  });

  test.each([
    ['a rare tag', { tags: ['legal'] }, 'catalog_package_tags_idx'],
    ['a rare node type', { nodeTypes: ['action.sign'] }, 'catalog_package_node_types_idx'],
  ])("a super admin's filter by %s uses its GIN index across tenants", async (_label, filter, index) => {
    const nodes = await plan(caller({ roles: new Set([ROLE_SUPER_ADMIN]) }), null, parsePackageSearch(filter, null));
    expect(noSeqScan(nodes)).toEqual([]);
    expect(indexNames(nodes)).toContain(index);
  });
});
