import { encodeCursor } from '../src/common/pagination';
import { GROUPS_PER_TENANT, USERS_PER_TENANT, groupName, packageRow, rng, tenantName, userName, type DatasetShape } from './dataset';
import type { BenchIssuer } from './issuer';
import type { BenchRequest } from './load';
import { flowOfTypes } from '../test/support/flows';

/** The operations, as a client (or the router) sends them. The baseline reads the same bodies. */
export const LIST_QUERY = `query List($first: Int, $after: String) { catalogPackages(first: $first, after: $after) {
  edges { cursor node { id tenantId packageId name description version authorId authorEmail visibility visibilityGroupIds createdAt updatedAt } }
  pageInfo { hasNextPage endCursor } } }`;
export const ENTITIES_QUERY = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on CatalogPackage { id packageId name version visibility } } }`;
export const INSTALL_MUTATION = `mutation Install($packageId: String!) { installCatalogPackage(packageId: $packageId) {
  flow metadata { packageId name version authorEmail } } }`;
export const PUBLISH_MUTATION = `mutation Publish($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) {
  id packageId version } }`;

export const body = (query: string, variables: Record<string, unknown>): string => JSON.stringify({ query, variables });

/**
 * A flow of realistic size for publish (12 nodes, 13 edges, about 3 KB of JSON), or bigger for
 * diff; `revision` changes the prompt of every tenth node, so two revisions differ a little.
 */
export function benchFlow(name: string, nodes = 12, revision = 0): Record<string, unknown> {
  const types = Array.from({ length: nodes }, (_, n) => (n === 0 ? 'trigger.webhook' : n % 3 === 0 ? 'kb:search' : 'llm.chat'));
  const flow = flowOfTypes(types, {
    name,
    node: (n) => ({
      name: `Step ${n}`,
      config: {
        prompt: `Handle step ${n} of the request and pass a short summary on.${n % 10 === 5 ? ` Revision ${revision}.` : ''}`,
        temperature: 0.2,
        maxTokens: 512,
      },
      position: { x: n * 180, y: (n % 4) * 120 },
    }),
    edge: () => ({ sourceHandle: 'out', targetHandle: 'in' }),
    config: { timeoutSeconds: 60 },
  });
  const edges = [...(flow['edges'] as object[]), { id: 'e-loop', source: 'node-11', target: 'node-2', sourceHandle: 'retry', targetHandle: 'in' }];
  return { ...flow, description: 'Bench flow', version: 1, edges };
}

export interface CallerSpec {
  tenant: number;
  user: number;
  groups: number[];
  roles: string[];
}

/** Signs each distinct caller once (RS256 signing is the slow part of building workloads). */
export class Tokens {
  private readonly cache = new Map<string, Promise<string>>();
  constructor(private readonly issuer: BenchIssuer) {}

  get(spec: CallerSpec): Promise<string> {
    const key = `${spec.tenant}/${spec.user}/${spec.groups.join(',')}/${spec.roles.join(',')}`;
    let token = this.cache.get(key);
    if (!token) {
      token = this.issuer.sign({ tenant: tenantName(spec.tenant), user: userName(spec.user), groups: spec.groups.map(groupName), roles: spec.roles });
      this.cache.set(key, token);
    }
    return token;
  }

  get size(): number {
    return this.cache.size;
  }
}

/** Cycles through a fixed list: every connection takes the next one. */
export function cycle(requests: BenchRequest[]): () => BenchRequest {
  let i = 0;
  return () => requests[i++ % requests.length]!;
}

export function randomCaller(next: () => number, shape: DatasetShape, callers: number): CallerSpec {
  // A fixed pool of callers, as in real traffic: the same people come back.
  const c = Math.floor(next() * callers);
  const who = rng(shape.seed + 101 * (c + 1));
  const kind = who();
  const groups: number[] = [];
  for (let g = 0; g < GROUPS_PER_TENANT; g++) if (who() < 0.15) groups.push(g);
  return {
    tenant: Math.floor(who() * shape.tenants),
    user: Math.floor(who() * USERS_PER_TENANT),
    groups,
    roles: kind < 0.07 ? ['super_admin'] : kind < 0.15 ? ['tenant_admin'] : [],
  };
}

/** Index of a random package of `tenant` (packages are dealt to tenants round-robin). */
export function packageOfTenant(next: () => number, shape: DatasetShape, tenant: number, olderAtLeast = 0): number {
  const perTenant = Math.floor((shape.packages - 1 - tenant) / shape.tenants) + 1;
  // Packages are dealt in index order and created in index order: the k-th of a tenant has k older.
  const from = Math.min(olderAtLeast, perTenant - 1);
  return tenant + shape.tenants * (from + Math.floor(next() * (perTenant - from)));
}

/** Older packages a cursor leaves behind it, so that pages are full (a third are hidden from a given caller at most). */
const ROOM_FOR_A_PAGE = 40;

/**
 * `catalogPackages(first: 20)` for random callers, a quarter on the first page, the rest at a
 * random cursor with room for a full page after it: page size stays the same whatever the size of
 * the catalog (the scale scenario compares 10k and 1M packages on equal pages).
 */
export async function listRequests(shape: DatasetShape, tokens: Tokens, count: number, callers: number): Promise<BenchRequest[]> {
  const next = rng(shape.seed + 1);
  const out: BenchRequest[] = [];
  for (let r = 0; r < count; r++) {
    const caller = randomCaller(next, shape, callers);
    let after: string | null = null;
    if (next() >= 0.25) {
      const i = caller.roles.includes('super_admin')
        ? ROOM_FOR_A_PAGE + Math.floor(next() * (shape.packages - ROOM_FOR_A_PAGE))
        : packageOfTenant(next, shape, caller.tenant, ROOM_FOR_A_PAGE);
      const row = packageRow(shape, i);
      after = encodeCursor({ key: new Date(row.createdAtMs), id: row.id });
    }
    out.push({ token: await tokens.get(caller), body: body(LIST_QUERY, { first: 20, after }) });
  }
  return out;
}

/** `_entities` with `size` representations of the caller's tenant's packages (some invisible to them: null). */
export async function entitiesRequests(shape: DatasetShape, tokens: Tokens, size: number, count: number, callers: number): Promise<BenchRequest[]> {
  const next = rng(shape.seed + 2 + size);
  const out: BenchRequest[] = [];
  for (let r = 0; r < count; r++) {
    const caller = { ...randomCaller(next, shape, callers), roles: [] };
    const ids = new Set<string>();
    const own = Math.floor((shape.packages - 1 - caller.tenant) / shape.tenants) + 1;
    while (ids.size < size) {
      const i = ids.size < own ? packageOfTenant(next, shape, caller.tenant) : Math.floor(next() * shape.packages);
      ids.add(packageRow(shape, i).id);
    }
    const representations = [...ids].map((id) => ({ __typename: 'CatalogPackage', id }));
    out.push({ token: await tokens.get(caller), body: body(ENTITIES_QUERY, { representations }) });
  }
  return out;
}

/** Packages with real archives for install: published through the service's own API during setup. */
export interface InstallTarget {
  tenant: number;
  packageId: string;
}

export function installTargets(shape: DatasetShape, count: number): InstallTarget[] {
  return Array.from({ length: count }, (_, k) => ({ tenant: (k * 7) % shape.tenants, packageId: `bench-install-${k}` }));
}

export async function installRequests(shape: DatasetShape, tokens: Tokens, targets: InstallTarget[], count: number): Promise<BenchRequest[]> {
  const next = rng(shape.seed + 3);
  const out: BenchRequest[] = [];
  for (let r = 0; r < count; r++) {
    const target = targets[Math.floor(next() * targets.length)]!;
    const caller = { tenant: target.tenant, user: Math.floor(next() * USERS_PER_TENANT), groups: [], roles: [] };
    out.push({ token: await tokens.get(caller), body: body(INSTALL_MUTATION, { packageId: target.packageId }) });
  }
  return out;
}

/**
 * Publishes of new versions, to the arm's own set of packages: each request takes a package with
 * no publish in flight (round robin) and its next version, and `check` frees the package when the
 * answer (which names it) arrives. So versions of one package always arrive in order, whatever the
 * tail latency, and every publish is a new version.
 */
export class PublishWorkload {
  private cursor = 0;
  private readonly inFlight = new Set<number>();
  private readonly versions: number[];
  private readonly flow = benchFlow('Bench publish');
  private readonly answerNames: RegExp;

  constructor(
    readonly arm: string,
    readonly packages: number,
    private readonly tenantOf: (k: number) => number,
    private readonly tokenOf: (tenant: number) => string,
  ) {
    this.versions = new Array<number>(packages).fill(0);
    this.answerNames = new RegExp(`"packageId":"bench-pub-${arm}-(\\d+)"`);
  }

  packageId(k: number): string {
    return `bench-pub-${this.arm}-${k}`;
  }

  /** The first version of every package of the set (setup), then the workload itself. */
  first(k: number): BenchRequest {
    return this.request(k, '1.0.0');
  }

  next = (): BenchRequest => {
    for (let tries = 0; tries < this.packages; tries++) {
      const k = this.cursor;
      this.cursor = (this.cursor + 1) % this.packages;
      if (this.inFlight.has(k)) continue;
      this.inFlight.add(k);
      this.versions[k]! += 1;
      return this.request(k, `1.0.${this.versions[k]}`);
    }
    throw new Error(`every one of the ${this.packages} ${this.arm} publish packages has a publish in flight`);
  };

  /**
   * After a slice: autocannon drops the requests still in flight when it stops, so their answers
   * never come. Their packages are free again; a dropped publish still running in the service has a
   * lower version than any later one, and its own answer (even a VERSION_REGRESSION) goes nowhere.
   */
  releaseAll(): void {
    this.inFlight.clear();
  }

  /** Wraps an answer check: a right answer frees its package for the next publish. */
  checked(check: (status: number, text: string) => string | null): (status: number, text: string) => string | null {
    return (status, text) => {
      const problem = check(status, text);
      const named = this.answerNames.exec(text);
      if (problem === null && named) this.inFlight.delete(Number(named[1]));
      return problem ?? (named ? null : `no package named in the answer: ${text.slice(0, 200)}`);
    };
  }

  private request(k: number, version: string): BenchRequest {
    const input = { packageId: this.packageId(k), name: `Bench publish ${k}`, description: 'Published by the bench', version, content: this.flow };
    return { token: this.tokenOf(this.tenantOf(k)), body: body(PUBLISH_MUTATION, { input }) };
  }
}

/** GraphQL answers errors with 200 too: a right answer has data and no errors. */
export function checkGraphql(status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  if (text.includes('"errors"') || !text.startsWith('{"data"')) return text.slice(0, 300);
  return null;
}

export function checkBaseline(status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 200)}`;
  return null;
}
