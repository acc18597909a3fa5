import { Client } from 'pg';
import { versionSortKey } from '../src/modules/package/version-sort-key';
import { createTestDatabase } from '../test/support/database';

export { dropDatabase } from '../test/support/database';

/**
 * The bench dataset: deterministic (every row is a pure function of the seed and its index, so
 * request templates can name rows without reading them back), loaded with multi-row INSERTs
 * (`insert … select from unnest($1::uuid[], …)`, one statement per batch of rows).
 */
export interface DatasetShape {
  packages: number;
  tenants: number;
  /** Version rows: 1..maxVersions per package (uniform). 0 loads packages only (scale databases). */
  maxVersions: number;
  seed: number;
}

export const USERS_PER_TENANT = 20;
export const GROUPS_PER_TENANT = 10;
/** Share of packages visible to groups (1-3 of the tenant's groups) rather than the whole tenant. */
const GROUPS_SHARE = 0.35;
const DELETED_SHARE = 0.02;
const BASE_TIME = Date.UTC(2024, 0, 1);
const SPAN_MS = 365 * 24 * 3_600_000;
const BATCH = 5_000;

/** mulberry32: small, fast, good enough to spread test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(next: () => number, chars: number): string {
  let out = '';
  while (out.length < chars)
    out += Math.floor(next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, chars);
}

function uuid(next: () => number): string {
  const h = hex(next, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Math.floor(next() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const tenantName = (t: number): string => `tenant-${String(t).padStart(5, '0')}`;
export const userName = (u: number): string => `user-${u}`;
export const groupName = (g: number): string => `grp-${g}`;

// Realistic vocabulary, so that search queries (workloads.ts) hit a realistic share of a tenant.
export const SUBJECTS = ['invoice', 'support ticket', 'lead', 'onboarding', 'incident', 'expense', 'contract', 'bug report'];
export const ACTIONS = ['triage', 'routing', 'summary', 'enrichment', 'approval', 'digest', 'escalation', 'extraction'];
export const SYSTEMS = ['Zendesk', 'Slack', 'Salesforce', 'Jira', 'Gmail', 'HubSpot', 'GitHub', 'Stripe'];
export const TAGS = ['support', 'sales', 'finance', 'hr', 'it', 'marketing', 'legal', 'security', 'email', 'crm'];
export const NODE_TYPES = [
  'trigger.webhook',
  'trigger.schedule',
  'llm.chat',
  'kb.search',
  'http.request',
  'human.review',
  'code.js',
  'email.send',
  'slack.post',
  'router.switch',
];

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
const pickSome = <T>(next: () => number, list: readonly T[], min: number, max: number): T[] => {
  const count = min + Math.floor(next() * (max - min + 1));
  const out: T[] = [];
  while (out.length < count) {
    const item = pick(next, list);
    if (!out.includes(item)) out.push(item);
  }
  return out;
};
const capital = (text: string): string => `${text[0]!.toUpperCase()}${text.slice(1)}`;

export interface PackageRow {
  id: string;
  tenant: number;
  packageId: string;
  name: string;
  description: string;
  readme: string | null;
  tags: string[];
  nodeTypes: string[];
  installCount: number;
  versions: number;
  authorUser: number;
  visibility: 'tenant' | 'groups';
  groups: number[];
  createdAtMs: number;
  deleted: boolean;
}

/** Package `i` of a dataset; the same inputs always give the same row. */
export function packageRow(shape: DatasetShape, i: number): PackageRow {
  const next = rng((shape.seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
  const id = uuid(next);
  const tenant = i % shape.tenants;
  const subject = pick(next, SUBJECTS);
  const action = pick(next, ACTIONS);
  const system = pick(next, SYSTEMS);
  const tags = pickSome(next, TAGS, 1, 4);
  const groups: number[] = [];
  const visibility = next() < GROUPS_SHARE ? 'groups' : 'tenant';
  if (visibility === 'groups') {
    const count = 1 + Math.floor(next() * 3);
    while (groups.length < count) {
      const g = Math.floor(next() * GROUPS_PER_TENANT);
      if (!groups.includes(g)) groups.push(g);
    }
  }
  return {
    id,
    tenant,
    packageId: `pkg-${i}`,
    name: `${capital(subject)} ${action} for ${system}`,
    description: `${capital(action)} of every ${subject} that reaches ${system}, with an LLM step and a human check for the unclear ones.`,
    readme:
      next() < 0.3 ? `# ${capital(subject)} ${action}\n\n${`Connect ${system}, pick a channel, and every ${subject} is handled in minutes. `.repeat(5)}` : null,
    tags,
    nodeTypes: pickSome(next, NODE_TYPES, 2, 5).sort(),
    // Most packages are installed a few times, a few very often.
    installCount: Math.floor(1 / (0.002 + next()) ** 1.5),
    versions: shape.maxVersions === 0 ? 1 : 1 + Math.floor(next() * shape.maxVersions),
    authorUser: Math.floor(next() * USERS_PER_TENANT),
    visibility,
    groups,
    // Roughly in index order, never two at the same millisecond.
    createdAtMs: BASE_TIME + Math.floor((i * SPAN_MS) / shape.packages) + Math.floor(next() * 1000),
    deleted: next() < DELETED_SHARE,
  };
}

/** Drops and creates `name` on the server of `adminUrl`, then runs the app's migrations in it. */
export async function recreateDatabase(adminUrl: string, name: string): Promise<string> {
  const database = await createTestDatabase({ serverUrl: adminUrl, name });
  await (await database.openMigrated()).close();
  return database.url!;
}

const pgArray = (values: string[]): string => `{${values.map((v) => `"${v}"`).join(',')}}`;

/** Loads packages [from, to) and their versions; returns the number of version rows. */
export async function loadPackages(url: string, shape: DatasetShape, from = 0, to = shape.packages): Promise<number> {
  // Two connections: the machine has two cores and PostgreSQL builds index entries per row.
  const clients = [new Client({ connectionString: url }), new Client({ connectionString: url })];
  await Promise.all(clients.map((c) => c.connect()));
  let versionRows = 0;
  try {
    const versioned = await hasVersionStatus(clients[0]!);
    const batches: [number, number][] = [];
    for (let start = from; start < to; start += BATCH) batches.push([start, Math.min(to, start + BATCH)]);
    let cursor = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (cursor < batches.length) {
          const [start, end] = batches[cursor++]!;
          const loaded = await loadBatch(client, shape, start, end, versioned);
          versionRows += loaded;
        }
      }),
    );
    // The quota counters the migration would have computed from existing rows (publish reserves against them).
    await clients[0]!.query(
      `insert into catalog_tenant_usage (tenant_id, packages, versions, bytes)
       select p.tenant_id, count(distinct p.id), count(v.id), coalesce(sum(v.size_bytes), 0)
       from catalog_package p left join catalog_package_version v on v.catalog_package_id = p.id group by p.tenant_id
       on conflict (tenant_id) do update set packages = excluded.packages, versions = excluded.versions, bytes = excluded.bytes`,
    );
    // Every loaded version is active: the default version is the latest.
    if (versioned) await clients[0]!.query('update catalog_package set default_version = latest_version where default_version is null');
    await clients[0]!.query('vacuum analyze catalog_package');
    await clients[0]!.query('vacuum analyze catalog_package_version');
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return versionRows;
}

/**
 * Whether the schema has the version status columns (the version sort key, which has no default,
 * and the package's default version): the loader fills them when it does.
 */
async function hasVersionStatus(client: Client): Promise<boolean> {
  const { rows } = await client.query(`select 1 from information_schema.columns where table_name = 'catalog_package_version' and column_name = 'version_sort'`);
  return rows.length > 0;
}

async function loadBatch(client: Client, shape: DatasetShape, start: number, end: number, versioned: boolean): Promise<number> {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  const vcols: unknown[][] = Array.from({ length: 10 }, () => []);
  for (let i = start; i < end; i++) {
    const row = packageRow(shape, i);
    const tenant = tenantName(row.tenant);
    const author = userName(row.authorUser);
    const created = new Date(row.createdAtMs);
    const updated = new Date(row.createdAtMs + (row.versions - 1) * 3_600_000);
    const values = [
      row.id,
      tenant,
      row.packageId,
      row.name,
      row.description,
      row.readme,
      `1.0.${row.versions - 1}`,
      author,
      `${author}@${tenant}.example`,
      row.visibility,
      pgArray(row.groups.map(groupName)),
      null,
      created,
      updated,
      row.deleted ? updated : null,
      pgArray(row.tags),
      pgArray(row.nodeTypes),
      row.installCount,
    ];
    values.forEach((value, c) => cols[c]!.push(value));
    if (shape.maxVersions === 0) continue;
    const next = rng(Math.imul(i + 7, 0x27d4eb2d) ^ shape.seed);
    for (let v = 0; v < row.versions; v++) {
      const version = `1.0.${v}`;
      [
        uuid(next),
        row.id,
        version,
        hex(next, 64),
        900 + Math.floor(next() * 4000),
        `catalog/${tenant}/${row.packageId}/v${version}.scaipkg`,
        author,
        `${author}@${tenant}.example`,
        new Date(row.createdAtMs + v * 3_600_000),
        versionSortKey(version),
      ].forEach((value, c) => vcols[c]!.push(value));
    }
  }
  await client.query(
    `insert into catalog_package (id, tenant_id, package_id, name, description, readme, latest_version, author_id,
       author_email, visibility, visibility_group_ids, source_flow_id, created_at, updated_at, deleted_at, tags, node_types,
       install_count)
     select id, tenant_id, package_id, name, description, readme, latest_version, author_id, author_email, visibility,
       groups::text[], source_flow_id, created_at, updated_at, deleted_at, tags::text[], node_types::text[], install_count
     from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[],
       $16::text[], $17::text[], $18::bigint[])
       as t(id, tenant_id, package_id, name, description, readme, latest_version, author_id, author_email, visibility,
         groups, source_flow_id, created_at, updated_at, deleted_at, tags, node_types, install_count)`,
    cols,
  );
  if (shape.maxVersions === 0) return 0;
  await client.query(
    `insert into catalog_package_version (id, catalog_package_id, version, sha256, size_bytes, blob_name, publisher_id,
       publisher_email, published_at${versioned ? ', version_sort' : ''})
     select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
       $9::timestamptz[]${versioned ? ', $10::text[]' : ''})`,
    versioned ? vcols : vcols.slice(0, 9),
  );
  return vcols[0]!.length;
}
