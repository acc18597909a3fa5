import type { Caller } from '../../common/caller';
import { CatalogError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { RateLimitConfig } from '../../config';
import type { RateLimitStore } from './rate-limit.store';

export type RequestKind = 'read' | 'write';

/** What the caller is told in `X-RateLimit-*`: the bucket closest to its limit. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends (and the counters start again). */
  resetSeconds: number;
}

/**
 * Fixed-window limits per tenant and per caller, separately for reads and writes (the course
 * catalog reference's model: 600 reads and 60 writes a minute per tenant). A request counts
 * against both its tenant's bucket and its caller's; it passes only if both are within limits.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly config: RateLimitConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * null when the store could not be asked: the request goes on (the limiter protects the service,
   * it must not take it down with the database), and the failure is logged.
   */
  async check(caller: Caller, kind: RequestKind): Promise<RateLimitDecision | null> {
    try {
      return await this.decide(caller, kind);
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limit store unavailable; request not counted');
      return null;
    }
  }

  private async decide(caller: Caller, kind: RequestKind): Promise<RateLimitDecision> {
    const windowMs = this.config.windowSeconds * 1000;
    const now = this.now();
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const limits = kind === 'read' ? [this.config.tenantReads, this.config.callerReads] : [this.config.tenantWrites, this.config.callerWrites];
    // JSON keeps ids containing ':' from colliding with another bucket's name.
    const buckets = [JSON.stringify(['tenant', kind, caller.tenantId]), JSON.stringify(['caller', kind, caller.tenantId, caller.userId])];
    const hits = await this.store.hit(buckets, new Date(windowStart));
    const resetSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
    const states = limits.map((limit, i) => ({ limit, hits: hits[i]!, remaining: Math.max(0, limit - hits[i]!) }));
    const tightest = states.reduce((a, b) => (b.remaining < a.remaining || (b.remaining === a.remaining && b.limit < a.limit) ? b : a));
    return {
      allowed: states.every((s) => s.hits <= s.limit),
      limit: tightest.limit,
      remaining: tightest.remaining,
      resetSeconds,
    };
  }
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
    super('TOO_MANY_REQUESTS', `Too many ${kind === 'read' ? 'reads' : 'writes'}: the limit is ${decision.limit} per window; retry in ${decision.resetSeconds} s`);
  }
}
