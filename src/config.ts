import path from 'node:path';
import { z } from 'zod';

/**
 * Everything the app needs, already resolved: tests build this directly, `main.ts` gets it from
 * the environment through `loadConfig`.
 */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  nodeEnv: string;
  logLevel: string;
  database: DatabaseConfig;
  blob: BlobConfig;
  auth: AuthConfig;
  flowsApiUrl: string | null;
  routerSecret: string | null;
  migrate: boolean;
  /** Port of the Prometheus `GET /metrics` server (on `host`); null: no metrics server. */
  metricsPort: number | null;
  /** How long requests in flight may take to finish after SIGTERM/SIGINT. */
  shutdownGraceSeconds: number;
  /** Hardening of the HTTP edge (docs/API.md, "Limits"). */
  edge: EdgeConfig;
  /** Values that trade resources for speed or patience; see `DEFAULT_TUNING`. */
  tuning: Tuning;
  /** Per-tenant limits of publishing (docs/API.md, "Quotas"). */
  quotas: QuotaLimits;
  /** The keys that sign provenance statements (docs/ARCHITECTURE.md, "Signed provenance"). */
  signing: SigningConfig;
}

export type SigningConfig =
  /**
   * The operator's key (`CATALOG_SIGNING_KEY`, or `CATALOG_SIGNING_KEY_FILE`: a PKCS#8 PEM or a
   * private JWK), and the public keys it replaced (`CATALOG_SIGNING_RETIRED_KEYS_FILE`, a JWKS).
   */
  | { kind: 'configured'; currentKey: { material: string } | { file: string }; retiredKeysFile: string | null }
  /** The embedded default: `current.jwk.json` (created at first start) and `retired/*.jwk.json` in `directory`. */
  | { kind: 'directory'; directory: string };

export interface QuotaLimits {
  packagesPerTenant: number;
  /** Archive bytes of every version of the tenant, deleted packages included (their blobs are kept). */
  bytesPerTenant: number;
  versionsPerPackage: number;
}

export interface Tuning {
  /** PostgreSQL `statement_timeout`; also the deadline of one PGlite unit of work. */
  statementTimeoutMs: number;
  /** Waiting for a pooled connection, or for a new one to open. */
  connectTimeoutMs: number;
  poolMax: number;
  /** How long a starting instance waits for another instance's migrations (or, with MIGRATE=false, for the schema). */
  migrateWaitMs: number;
  /** A read replica further behind the primary than this is skipped (`REPLICA_MAX_LAG_SECONDS`). */
  replicaMaxLagMs: number;
  /** How long after a caller's last write their reads stay on the primary (`READ_YOUR_WRITES_SECONDS`). */
  readYourWritesMs: number;
  /** How often each read replica's lag is checked. */
  replicaCheckMs: number;
  /** One blob call, retries included. */
  blobTimeoutMs: number;
  /** One OIDC discovery or JWKS fetch. */
  issuerTimeoutMs: number;
  /** Least time between two JWKS fetches, and the age past which a request waits for a fresh one. */
  jwksCooldownMs: number;
  /** Verified archive bytes kept in memory for installs. */
  archiveCacheBytes: number;
  /** How long an Idempotency-Key is remembered, and how long a claim of one may stay in progress. */
  idempotencyTtlMs: number;
  idempotencyLockMs: number;
  /** Deadline of a call to the flows service. */
  flowsTimeoutMs: number;
  /** The backstop: a request not answered by then gets a 503 (every dependency has a shorter deadline). */
  requestTimeoutMs: number;
  /** The most one GraphQL operation may cost (src/graphql/cost.ts; docs/API.md, "Limits"). */
  maxQueryCost: number;
  /** The largest answer one request may get (`MAX_RESPONSE_BYTES`; docs/API.md, "Answer size"). */
  maxResponseBytes: number;
  /** Answers that could pass this many bytes are "large" (`LargeAnswerLane`, src/graphql/cost.ts). */
  largeAnswerBytes: number;
  /** How many large answers are built at once (`LARGE_ANSWER_CONCURRENCY`); the next wait `requestTimeoutMs` at most. */
  largeAnswerConcurrency: number;
  /**
   * The bulkhead of publish: at most this many of its database units at once (default: half the
   * pool), so publishes never take every connection; the next waits `connectTimeoutMs`, then 503.
   */
  publishConcurrency: number;
  /** How long a publish's reservation lives unless renewed (its holder renews it while uploading). */
  publishReservationTtlMs: number;
  /** How long a publish waits for another publish of the same package to finish, then 503. */
  publishSlotWaitMs: number;
  /** How often expired reservations (left by a crash) are swept and their quota given back. */
  reservationSweepMs: number;
}

/** Deadlines: docs/ARCHITECTURE.md, "Deadlines and failures". */
export const DEFAULT_TUNING: Tuning = {
  statementTimeoutMs: 5_000,
  connectTimeoutMs: 3_000,
  poolMax: 10,
  migrateWaitMs: 300_000,
  replicaMaxLagMs: 10_000,
  readYourWritesMs: 5_000,
  replicaCheckMs: 1_000,
  blobTimeoutMs: 10_000,
  issuerTimeoutMs: 5_000,
  jwksCooldownMs: 3_000,
  archiveCacheBytes: 16 * 1_048_576,
  idempotencyTtlMs: 24 * 60 * 60_000,
  idempotencyLockMs: 2 * 60_000,
  flowsTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  maxQueryCost: 10_000,
  maxResponseBytes: 8 * 1_048_576,
  largeAnswerBytes: 1_048_576,
  largeAnswerConcurrency: 1,
  publishConcurrency: 5,
  publishReservationTtlMs: 6_000,
  publishSlotWaitMs: 10_000,
  reservationSweepMs: 30_000,
};

export interface EdgeConfig {
  /** Origins allowed by CORS; empty means no CORS headers at all. */
  corsOrigins: string[];
  /** Introspection and field suggestions ("Did you mean …?"). */
  introspection: boolean;
  /** GraphiQL at GET /graphql for browsers. */
  playground: boolean;
  rateLimit: RateLimitConfig;
}

/** Requests per window, per tenant and per caller, for reads and for writes. */
export interface RateLimitConfig {
  /** `redis` and `database`: shared by every instance; `memory`: this process only. */
  store: 'database' | 'memory' | 'redis';
  /** With the `redis` store: where Redis answers. */
  redisUrl?: string;
  /** Prefix of every counter's key; instances sharing one budget use the same one. */
  keyPrefix?: string;
  windowSeconds: number;
  tenantReads: number;
  tenantWrites: number;
  callerReads: number;
  callerWrites: number;
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_METRICS_PORT = 9464;

const DEFAULT_RATE_LIMITS = { windowSeconds: 60, tenantReads: 600, tenantWrites: 60, callerReads: 300, callerWrites: 30 } as const;

export type DatabaseConfig =
  /** `replicaUrls`: read replicas of `url` (`DATABASE_REPLICA_URLS`) for the reads that tolerate a short lag. */
  | { kind: 'postgres'; url: string; replicaUrls?: string[] }
  /** `dataDir` is a directory, or `:memory:` for a throwaway database. */
  | { kind: 'pglite'; dataDir: string };

export type BlobConfig = { container: string } & (
  | { kind: 'connection-string'; connectionString: string }
  /**
   * The embedded default: blobs as fsync'ed files under `directory`/`container`. Archives an
   * earlier release kept in an embedded Azurite at `importAzuriteFrom` are copied in at start.
   */
  | { kind: 'files'; directory: string; importAzuriteFrom: string | null }
);

export type AuthConfig =
  | { kind: 'oidc'; issuer: string; audience: string }
  /** The local development issuer; its key lives in `keyDir`, it is served by the app itself. */
  | { kind: 'dev-issuer'; keyDir: string; audience: string };

const DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;

export const DEV_ISSUER_AUDIENCE = 'flow-package-catalog';
export const DEV_ISSUER_PATH = '/.dev-issuer';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./.data'),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATABASE_REPLICA_URLS: optionalString.pipe(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url !== ''),
      )
      .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\//, 'each must be a postgres:// or postgresql:// URL')).max(16))
      .optional(),
  ),
  READ_YOUR_WRITES_SECONDS: z.coerce
    .number()
    .min(0)
    .max(3600)
    .default(DEFAULT_TUNING.readYourWritesMs / 1000),
  REPLICA_MAX_LAG_SECONDS: z.coerce
    .number()
    .min(0)
    .max(86_400)
    .default(DEFAULT_TUNING.replicaMaxLagMs / 1000),
  AZURE_STORAGE_CONNECTION_STRING: optionalString.pipe(
    z
      .string()
      .regex(/(AccountName=|BlobEndpoint=|UseDevelopmentStorage=true)/, 'is not an Azure Storage connection string')
      .optional(),
  ),
  CATALOG_BLOB_CONTAINER: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid Azure container name (3-63 of a-z, 0-9, -)')
    .default('catalog'),
  OIDC_ISSUER: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  OIDC_AUDIENCE: optionalString,
  FLOWS_API_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  ROUTER_SECRET: optionalString,
  MIGRATE: z.enum(['true', 'false']).default('true'),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(DEFAULT_SHUTDOWN_GRACE_SECONDS),
  CORS_ORIGINS: optionalString,
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).optional(),
  PLAYGROUND: z.enum(['true', 'false']).optional(),
  RATE_LIMIT_STORE: z.enum(['database', 'memory', 'redis']).optional(),
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(DEFAULT_METRICS_PORT),
  RATE_LIMIT_TENANT_READS_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_RATE_LIMITS.tenantReads),
  RATE_LIMIT_TENANT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_RATE_LIMITS.tenantWrites),
  RATE_LIMIT_CALLER_READS_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_RATE_LIMITS.callerReads),
  RATE_LIMIT_CALLER_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_RATE_LIMITS.callerWrites),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_TUNING.statementTimeoutMs),
  CATALOG_MAX_PACKAGES_PER_TENANT: z.coerce.number().int().min(1).default(10_000),
  CATALOG_MAX_BYTES_PER_TENANT: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 1024 ** 3),
  CATALOG_MAX_VERSIONS_PER_PACKAGE: z.coerce.number().int().min(1).default(1_000),
  MIGRATE_WAIT_SECONDS: z.coerce
    .number()
    .min(0)
    .max(86_400)
    .default(DEFAULT_TUNING.migrateWaitMs / 1000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(DEFAULT_TUNING.poolMax),
  MAX_RESPONSE_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_TUNING.maxResponseBytes),
  LARGE_ANSWER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(DEFAULT_TUNING.largeAnswerConcurrency),
  PUBLISH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).optional(),
  CATALOG_SIGNING_KEY: optionalString,
  CATALOG_SIGNING_KEY_FILE: optionalString,
  CATALOG_SIGNING_RETIRED_KEYS_FILE: optionalString,
});

/**
 * Parses the environment once, listing every problem at once (README, "Configuration"): value problems and
 * problems between variables together, so one failed start tells the operator everything.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  problems.push(...crossFieldProblems(env), ...signingProblems(env));
  const corsOrigins = parseOrigins(env.CORS_ORIGINS?.trim() || undefined, problems);
  if (env.RATE_LIMIT_STORE?.trim() === 'database' && !env.DATABASE_URL?.trim()) {
    problems.push('RATE_LIMIT_STORE=database needs DATABASE_URL (the embedded database serves one process only)');
  }
  if (env.DATABASE_REPLICA_URLS?.trim() && !env.DATABASE_URL?.trim()) {
    problems.push('DATABASE_REPLICA_URLS needs DATABASE_URL (the embedded database has no replicas)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = path.resolve(e.DATA_DIR);
  const auth: AuthConfig =
    e.OIDC_ISSUER && e.OIDC_AUDIENCE
      ? { kind: 'oidc', issuer: e.OIDC_ISSUER, audience: e.OIDC_AUDIENCE }
      : { kind: 'dev-issuer', keyDir: path.join(dataDir, 'dev-issuer'), audience: DEV_ISSUER_AUDIENCE };

  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, ...(e.DATABASE_REPLICA_URLS?.length ? { replicaUrls: e.DATABASE_REPLICA_URLS } : {}) }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    blob: e.AZURE_STORAGE_CONNECTION_STRING
      ? { kind: 'connection-string', connectionString: e.AZURE_STORAGE_CONNECTION_STRING, container: e.CATALOG_BLOB_CONTAINER }
      : { kind: 'files', directory: path.join(dataDir, 'blobs'), importAzuriteFrom: path.join(dataDir, 'azurite'), container: e.CATALOG_BLOB_CONTAINER },
    auth,
    flowsApiUrl: e.FLOWS_API_URL ?? null,
    routerSecret: e.ROUTER_SECRET ?? null,
    migrate: e.MIGRATE === 'true',
    metricsPort: e.METRICS_PORT === 'off' ? null : e.METRICS_PORT,
    shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    edge: {
      corsOrigins,
      introspection: e.GRAPHQL_INTROSPECTION ? e.GRAPHQL_INTROSPECTION === 'true' : !production,
      playground: e.PLAYGROUND ? e.PLAYGROUND === 'true' : !production,
      rateLimit: {
        store: e.RATE_LIMIT_STORE ?? (e.DATABASE_URL ? 'database' : 'memory'),
        ...(e.RATE_LIMIT_STORE === 'redis' ? { redisUrl: e.REDIS_URL ?? DEFAULT_REDIS_URL } : {}),
        windowSeconds: DEFAULT_RATE_LIMITS.windowSeconds,
        tenantReads: e.RATE_LIMIT_TENANT_READS_PER_MINUTE,
        tenantWrites: e.RATE_LIMIT_TENANT_WRITES_PER_MINUTE,
        callerReads: e.RATE_LIMIT_CALLER_READS_PER_MINUTE,
        callerWrites: e.RATE_LIMIT_CALLER_WRITES_PER_MINUTE,
      },
    },
    tuning: {
      ...DEFAULT_TUNING,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      poolMax: e.DB_POOL_MAX,
      maxResponseBytes: e.MAX_RESPONSE_BYTES,
      largeAnswerConcurrency: e.LARGE_ANSWER_CONCURRENCY,
      migrateWaitMs: e.MIGRATE_WAIT_SECONDS * 1000,
      readYourWritesMs: e.READ_YOUR_WRITES_SECONDS * 1000,
      replicaMaxLagMs: e.REPLICA_MAX_LAG_SECONDS * 1000,
      publishConcurrency: e.PUBLISH_CONCURRENCY ?? Math.max(1, Math.floor(e.DB_POOL_MAX / 2)),
    },
    quotas: {
      packagesPerTenant: e.CATALOG_MAX_PACKAGES_PER_TENANT,
      bytesPerTenant: e.CATALOG_MAX_BYTES_PER_TENANT,
      versionsPerPackage: e.CATALOG_MAX_VERSIONS_PER_PACKAGE,
    },
    signing: signingConfig(e, dataDir),
  };
}

/**
 * For code that builds the app itself (tests, scripts): the defaults of an empty environment,
 * then explicit choices. Defaults are resolved in `loadConfig` only.
 */
export function configWith(overrides: Partial<AppConfig>): AppConfig {
  // No metrics server unless asked for: several test apps run side by side. A given data
  // directory holds the embedded parts' files, the signing keys among them.
  return { ...loadConfig(overrides.dataDir ? { DATA_DIR: overrides.dataDir } : {}), metricsPort: null, ...overrides };
}

/** `CORS_ORIGINS=https://a.example,https://b.example`: exact origins, no wildcards. */
function parseOrigins(value: string | undefined, problems: string[]): string[] {
  if (!value) return [];
  const origins: string[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    let url: URL | null = null;
    try {
      url = new URL(item);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/$/, '')) {
      problems.push(`CORS_ORIGINS: "${item}" is not an origin such as https://app.example.com (scheme, host and optional port only)`);
    } else {
      origins.push(url.origin);
    }
  }
  return origins;
}

/**
 * Rules between variables. Read from the raw environment, so they are reported even when some
 * value fails the schema.
 */
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const isSet = (name: string) => (env[name] ?? '').trim() !== '';
  if (isSet('OIDC_ISSUER') !== isSet('OIDC_AUDIENCE')) return ['OIDC_ISSUER and OIDC_AUDIENCE must be set together'];
  if (!isSet('OIDC_ISSUER') && env.NODE_ENV === 'production') {
    return ['OIDC_ISSUER and OIDC_AUDIENCE are required when NODE_ENV=production (the development issuer is refused)'];
  }
  return [];
}

function signingConfig(e: z.infer<typeof envSchema>, dataDir: string): SigningConfig {
  const currentKey = e.CATALOG_SIGNING_KEY
    ? { material: e.CATALOG_SIGNING_KEY }
    : e.CATALOG_SIGNING_KEY_FILE
      ? { file: path.resolve(e.CATALOG_SIGNING_KEY_FILE) }
      : null;
  if (!currentKey) return { kind: 'directory', directory: path.join(dataDir, 'signing-keys') };
  const retiredKeysFile = e.CATALOG_SIGNING_RETIRED_KEYS_FILE ? path.resolve(e.CATALOG_SIGNING_RETIRED_KEYS_FILE) : null;
  return { kind: 'configured', currentKey, retiredKeysFile };
}

/** Never quotes a value: `CATALOG_SIGNING_KEY` is a private key. */
function signingProblems(env: NodeJS.ProcessEnv): string[] {
  const isSet = (name: string) => (env[name] ?? '').trim() !== '';
  const configured = isSet('CATALOG_SIGNING_KEY') || isSet('CATALOG_SIGNING_KEY_FILE');
  const problems: string[] = [];
  if (isSet('CATALOG_SIGNING_KEY') && isSet('CATALOG_SIGNING_KEY_FILE')) problems.push('set CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE, not both');
  if (isSet('CATALOG_SIGNING_RETIRED_KEYS_FILE') && !configured) {
    problems.push(
      'CATALOG_SIGNING_RETIRED_KEYS_FILE needs CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE (the embedded key directory keeps its retired keys in DATA_DIR/signing-keys/retired)',
    );
  }
  if (!configured && env.NODE_ENV === 'production') {
    // Each instance would otherwise sign with a key of its own, which the others cannot verify.
    problems.push(
      'CATALOG_SIGNING_KEY or CATALOG_SIGNING_KEY_FILE is required when NODE_ENV=production (every instance on one database must sign with the same key)',
    );
  }
  return problems;
}
