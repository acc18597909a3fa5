import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics, in a registry of our own (not prom-client's global one).
 * Labels stay low-cardinality on purpose: no tenant, user or package ids, ever; GraphQL operation
 * names are capped (`boundedOperationName`).
 */
export const registry = new Registry();

/** What a request came to: `ok` below 400, `client_error` 4xx, `server_error` 5xx. */
export type Outcome = 'ok' | 'client_error' | 'server_error';

export function outcomeOfStatus(status: number): Outcome {
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'ok';
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  /**
   * `api`: graphql | rest | other; `operation`: GraphQL operation name or REST method + route
   * template; `status_class`: 2xx … 5xx and `status`: the HTTP status sent.
   */
  requestDuration: new Histogram({
    name: 'catalog_request_duration_seconds',
    help: 'Duration of HTTP requests, by API, operation, outcome and HTTP status',
    labelNames: ['api', 'operation', 'outcome', 'status_class', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  }),
  /** `code`: the `extensions.code` of each error a GraphQL answer carried (partial answers too). */
  graphqlErrors: new Counter({
    name: 'catalog_graphql_errors_total',
    help: 'Errors in GraphQL answers, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
  /** `kind`: run | transaction | replica (one unit of database work, PGlite's queue wait included; `replica`: a read on a read replica); `outcome`: ok | error. */
  databaseDuration: new Histogram({
    name: 'catalog_db_call_duration_seconds',
    help: 'Duration of units of database work, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  }),
  /**
   * `target`: replica | primary, for the reads that may go to a read replica (lists, search, get,
   * versions, update checks, `_entities`, usage); `fallback` counts reads a failing replica sent back.
   */
  databaseReads: new Counter({
    name: 'catalog_db_reads_total',
    help: 'Units of database work that tolerate a short lag, by where they ran: replica, primary, or primary after a replica failed',
    labelNames: ['target'] as const,
    registers: [registry],
  }),
  /** `replica`: replica-1, replica-2, … (`DATABASE_REPLICA_URLS` order); absent while it does not answer. */
  replicaLag: new Gauge({
    name: 'catalog_db_replica_lag_seconds',
    help: 'How far each read replica was behind the primary at its last check',
    labelNames: ['replica'] as const,
    registers: [registry],
  }),
  replicaUsable: new Gauge({
    name: 'catalog_db_replica_usable',
    help: '1 when a read replica serves reads, 0 when it is down or lags beyond REPLICA_MAX_LAG_SECONDS',
    labelNames: ['replica'] as const,
    registers: [registry],
  }),
  /** `result`: ok or the error code that ended the publish. */
  publishes: new Counter({
    name: 'catalog_publishes_total',
    help: 'Package publishes, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  /** `result`: ok or the error code that ended the install. */
  installs: new Counter({
    name: 'catalog_installs_total',
    help: 'Package installs (archive downloads), by result',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  /** `kind`: read | write; `bucket`: tenant | caller (the bucket that was spent). */
  rateLimited: new Counter({
    name: 'catalog_rate_limited_requests_total',
    help: 'Requests refused with 429 by the rate limits',
    labelNames: ['kind', 'bucket'] as const,
    registers: [registry],
  }),
  /** Requests let through uncounted because the rate limit store did not answer (fail open). */
  rateLimitStoreFailures: new Counter({
    name: 'catalog_rate_limit_store_failures_total',
    help: 'Rate limit checks skipped because the store (redis, database) failed; the request went on',
    labelNames: ['store'] as const,
    registers: [registry],
  }),
  secretGuardRefusals: new Counter({
    name: 'catalog_secret_guard_refusals_total',
    help: 'Publishes refused because the flow contains secrets',
    registers: [registry],
  }),
  /** `quota`: which quota was reached. */
  quotaRefusals: new Counter({
    name: 'catalog_quota_refusals_total',
    help: 'Requests refused with QUOTA_EXCEEDED, by quota',
    labelNames: ['quota'] as const,
    registers: [registry],
  }),
  /** `operation`: the BlobStorage method; `outcome`: ok | error. */
  blobCallDuration: new Histogram({
    name: 'catalog_blob_call_duration_seconds',
    help: 'Duration of blob storage calls, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  }),
};

/** Sources of the database pool gauge: one per open PostgreSQL pool (tests open several). */
interface PoolSnapshot {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}
const pools = new Set<PoolSnapshot>();

new Gauge({
  name: 'catalog_db_pool_connections',
  help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (pools.size === 0) return;
    const sum = (pick: (pool: PoolSnapshot) => number) => [...pools].reduce((total, pool) => total + pick(pool), 0);
    this.set(
      { state: 'total' },
      sum((pool) => pool.totalCount),
    );
    this.set(
      { state: 'idle' },
      sum((pool) => pool.idleCount),
    );
    this.set(
      { state: 'waiting' },
      sum((pool) => pool.waitingCount),
    );
  },
});

/** Reports `pool` in the gauge until the returned function is called. */
export function watchDatabasePool(pool: PoolSnapshot): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

/** Always 1; the labels say which build is running (`version` from package.json, `commit`). */
export const buildInfo = new Gauge({
  name: 'catalog_build_info',
  help: 'The running build: version and commit',
  labelNames: ['version', 'commit'] as const,
  registers: [registry],
});

let defaultsCollected = false;

/** Node's defaults (event loop lag, heap, GC, handles); only once the metrics are served. */
export function collectNodeDefaults(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry });
}

/** Beyond this many distinct GraphQL operation names, new ones are counted as `other`. */
const MAX_OPERATION_NAMES = 100;
const seenOperationNames = new Set<string>();

/** Callers name their own operations: cap how many label values they can create. */
export function boundedOperationName(name: string): string {
  if (seenOperationNames.has(name)) return name;
  if (seenOperationNames.size >= MAX_OPERATION_NAMES) return 'other';
  seenOperationNames.add(name);
  return name;
}
