import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Caller } from '../../common/caller';
import { CatalogError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { RateLimitConfig } from '../../config';
import type { Database } from '../../infra/db/database';
import { metrics } from '../../infra/metrics/metrics';
import { openCounterStore, type CounterStore } from './rate-limit.stores';

export type RequestKind = 'read' | 'write';
type BucketScope = 'tenant' | 'caller';

/** What the caller is told in `X-RateLimit-*`: the bucket closest to its limit. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until that bucket's window ends; when refused, until every spent bucket has reset. */
  resetSeconds: number;
}

interface Bucket {
  scope: BucketScope;
  limit: number;
  counter: RateLimiterAbstract;
}

export const DEFAULT_RATE_LIMIT_KEY_PREFIX = 'catalog-rl';
/** At most one warning per this interval while the store fails; the metric counts every failure. */
const STORE_WARNING_INTERVAL_MS = 60_000;

/**
 * Fixed-window limits per tenant and per caller, separately for reads and writes (the course
 * catalog reference's model: 600 reads and 60 writes a minute per tenant). A request counts
 * against both its tenant's bucket and its caller's; it passes only if both are within limits.
 * Counters live in rate-limiter-flexible's memory, Redis or PostgreSQL store.
 */
export class RateLimiter {
  private lastWarning = 0;

  private constructor(
    private readonly store: CounterStore,
    private readonly storeName: RateLimitConfig['store'],
    private readonly buckets: Record<RequestKind, Bucket[]>,
    private readonly logger: Logger,
  ) {}

  /** Opens the store (Redis connection, PostgreSQL table) and its four bucket families. */
  static async create(config: RateLimitConfig, deps: { db: Database; logger: Logger }): Promise<RateLimiter> {
    let limiter: RateLimiter | undefined;
    const store = await openCounterStore(config, { db: deps.db, onStoreError: (error) => limiter?.storeFailed(error) });
    const prefix = config.keyPrefix ?? DEFAULT_RATE_LIMIT_KEY_PREFIX;
    const bucket = async (scope: BucketScope, kind: RequestKind, limit: number): Promise<Bucket> => ({
      scope,
      limit,
      counter: await store.limiter({ keyPrefix: `${prefix}:${scope}-${kind}`, points: limit, durationSeconds: config.windowSeconds }),
    });
    // One after the other: the first database limiter creates the table the others use.
    const tenantReads = await bucket('tenant', 'read', config.tenantReads);
    const callerReads = await bucket('caller', 'read', config.callerReads);
    const tenantWrites = await bucket('tenant', 'write', config.tenantWrites);
    const callerWrites = await bucket('caller', 'write', config.callerWrites);
    limiter = new RateLimiter(store, config.store, { read: [tenantReads, callerReads], write: [tenantWrites, callerWrites] }, deps.logger);
    return limiter;
  }

  /**
   * null when the store could not be asked: the request goes on uncounted (fail open: the limiter
   * protects the service, it must not take it down with Redis or the database).
   */
  async check(caller: Caller, kind: RequestKind): Promise<RateLimitDecision | null> {
    const results = await Promise.all(
      this.buckets[kind].map((bucket) =>
        bucket.counter.consume(bucketKey(bucket.scope, caller)).then(
          (res: RateLimiterRes) => ({ bucket, res, refused: false }),
          (reason: unknown) => (reason instanceof RateLimiterRes ? { bucket, res: reason, refused: true } : reason),
        ),
      ),
    );
    const failure = results.find((result) => !isBucketResult(result));
    if (failure !== undefined) {
      this.storeFailed(failure);
      return null;
    }
    const states = (results as BucketResult[]).map(({ bucket, res, refused }) => ({
      scope: bucket.scope,
      limit: bucket.limit,
      remaining: res.remainingPoints,
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      refused,
    }));
    const tightest = states.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.limit < a.limit) ? b : a));
    const refused = states.filter((state) => state.refused);
    for (const state of refused) metrics.rateLimited.inc({ kind, bucket: state.scope });
    return {
      allowed: refused.length === 0,
      limit: tightest.limit,
      remaining: tightest.remaining,
      resetSeconds: refused.length === 0 ? tightest.resetSeconds : Math.max(...refused.map((state) => state.resetSeconds)),
    };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private storeFailed(error: unknown): void {
    metrics.rateLimitStoreFailures.inc({ store: this.storeName });
    const now = Date.now();
    if (now - this.lastWarning < STORE_WARNING_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn({ err: error, store: this.storeName }, 'rate limit store unavailable; requests pass uncounted');
  }
}

interface BucketResult {
  bucket: Bucket;
  res: RateLimiterRes;
  refused: boolean;
}

function isBucketResult(result: unknown): result is BucketResult {
  return typeof result === 'object' && result !== null && (result as BucketResult).res instanceof RateLimiterRes;
}

/**
 * Hashed: bounded length for any ids (the database store's key column is varchar(255)), no ':'
 * ambiguity between tenant and user ids, and no user ids readable in Redis or the table.
 */
function bucketKey(scope: BucketScope, caller: Caller): string {
  const ids = scope === 'tenant' ? [caller.tenantId] : [caller.tenantId, caller.userId];
  return createHash('sha256').update(JSON.stringify(ids)).digest('base64url');
}

/** The headers every limited response carries, 429s included. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(decision.resetSeconds),
    ...(decision.allowed ? {} : { 'retry-after': String(decision.resetSeconds) }),
  };
}

export class TooManyRequestsError extends CatalogError {
  constructor(
    kind: RequestKind,
    readonly decision: RateLimitDecision,
  ) {
    super(
      'TOO_MANY_REQUESTS',
      `Too many ${kind === 'read' ? 'reads' : 'writes'}: the limit is ${decision.limit} per window; retry in ${decision.resetSeconds} s`,
    );
  }
}
