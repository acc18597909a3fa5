import { ACTIONS, SUBJECTS, SYSTEMS, TAGS, USERS_PER_TENANT, packageRow, rng, tenantName, type DatasetShape } from './dataset';
import type { BenchRequest } from './load';
import { LIST_QUERY, PUBLISH_MUTATION, benchFlow, body, packageOfTenant, randomCaller, type CallerSpec, type Tokens } from './workloads';

/** The list's selection with a filter: search and plain list do the same work per node. */
export const SEARCH_QUERY = LIST_QUERY.replace(
  'query List($first: Int, $after: String)',
  'query Search($first: Int, $after: String, $filter: CatalogPackageFilter)',
).replace('catalogPackages(first: $first, after: $after)', 'catalogPackages(first: $first, after: $after, filter: $filter)');
export const UPDATES_QUERY = `query Updates($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) {
  packageId installedVersion latestVersion updateAvailable installedStatus newerVersions { version publishedAt } } }`;
export const DIFF_QUERY = `query Diff($packageId: String!, $from: String!, $to: String!) { catalogPackageDiff(packageId: $packageId, from: $from, to: $to) {
  from to nodesAdded nodesRemoved nodesChanged { nodeId changedPaths } edgesAdded edgesRemoved } }`;

/** Operations other work adds (CONTRACT-level names): probed at start, their scenarios skipped until they exist. */
export const OPTIONAL_OPERATIONS = {
  catalogUpdates: `{ catalogUpdates(installed: []) { packageId } }`,
  catalogPackageDiff: `{ catalogPackageDiff(packageId: "bench-probe", from: "1.0.0", to: "1.0.1") { from } }`,
} as const;

/** A field the schema lacks fails validation with "Cannot query field"; any other answer means it is there. */
export function fieldIsMissing(answer: string): boolean {
  return /Cannot query field/.test(answer);
}

/** Callers of one tenant only (members and tenant admins): a search is always in one tenant. */
function tenantCaller(next: () => number, shape: DatasetShape, callers: number): CallerSpec {
  const caller = randomCaller(next, shape, callers);
  return { ...caller, roles: caller.roles.filter((role) => role !== 'super_admin') };
}

/**
 * What people type: a tag, a subject, a subject and an action, a system's first letters, or a
 * word every description has (the widest match: every package of the tenant is ranked).
 */
function searchText(next: () => number): string {
  const kind = next();
  const one = (list: readonly string[]) => list[Math.floor(next() * list.length)]!;
  if (kind < 0.3) return one(TAGS);
  if (kind < 0.55) return one(SUBJECTS);
  if (kind < 0.7) return `${one(SUBJECTS)} ${one(ACTIONS)}`;
  if (kind < 0.85) return one(SYSTEMS).toLowerCase().slice(0, 4);
  return 'llm check';
}

/**
 * Ranked searches (`filter: { query }`, first page, RELEVANCE) and, for the same callers, plain
 * list first pages: the two sides of `search_vs_list`.
 */
export async function searchAndListRequests(
  shape: DatasetShape,
  tokens: Tokens,
  count: number,
  callers: number,
): Promise<{ search: BenchRequest[]; list: BenchRequest[] }> {
  const next = rng(shape.seed + 5);
  const search: BenchRequest[] = [];
  const list: BenchRequest[] = [];
  for (let r = 0; r < count; r++) {
    const token = await tokens.get(tenantCaller(next, shape, callers));
    search.push({ token, body: body(SEARCH_QUERY, { first: 20, after: null, filter: { query: searchText(next) } }) });
    list.push({ token, body: body(LIST_QUERY, { first: 20, after: null }) });
  }
  return { search, list };
}

/** `catalogUpdates` of `size` installed copies of the caller's tenant's packages, at random older versions. */
export async function updatesRequests(shape: DatasetShape, tokens: Tokens, size: number, count: number, callers: number): Promise<BenchRequest[]> {
  const next = rng(shape.seed + 6);
  const out: BenchRequest[] = [];
  for (let r = 0; r < count; r++) {
    const caller = { ...randomCaller(next, shape, callers), roles: [] };
    const installed = Array.from({ length: size }, () => {
      const row = packageRow(shape, packageOfTenant(next, shape, caller.tenant));
      return { packageId: row.packageId, version: `1.0.${Math.floor(next() * row.versions)}`, tenantId: tenantName(caller.tenant) };
    });
    out.push({ token: await tokens.get(caller), body: body(UPDATES_QUERY, { installed }) });
  }
  return out;
}

/** Packages with two versions of a 200-node flow, published in setup, for `catalogPackageDiff`. */
export interface DiffTarget {
  tenant: number;
  packageId: string;
}

export const DIFF_NODES = 200;

export function diffTargets(shape: DatasetShape, count: number): DiffTarget[] {
  return Array.from({ length: count }, (_, k) => ({ tenant: (k * 11) % shape.tenants, packageId: `bench-diff-${k}` }));
}

/** The two publishes of a diff target (1.0.0, then 1.0.1 with a tenth of the prompts changed), in order. */
export function diffSetup(target: DiffTarget, tokenOf: (tenant: number) => string): BenchRequest[] {
  return [0, 1].map((revision) => ({
    token: tokenOf(target.tenant),
    body: body(PUBLISH_MUTATION, {
      input: {
        packageId: target.packageId,
        name: `Diff ${target.packageId}`,
        version: `1.0.${revision}`,
        content: benchFlow(target.packageId, DIFF_NODES, revision),
      },
    }),
  }));
}

export async function diffRequests(shape: DatasetShape, tokens: Tokens, targets: DiffTarget[], count: number): Promise<BenchRequest[]> {
  const next = rng(shape.seed + 7);
  const out: BenchRequest[] = [];
  for (let r = 0; r < count; r++) {
    const target = targets[Math.floor(next() * targets.length)]!;
    const caller = { tenant: target.tenant, user: Math.floor(next() * USERS_PER_TENANT), groups: [], roles: [] };
    out.push({ token: await tokens.get(caller), body: body(DIFF_QUERY, { packageId: target.packageId, from: '1.0.0', to: '1.0.1' }) });
  }
  return out;
}
