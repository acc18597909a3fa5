import { createHash, randomUUID } from 'node:crypto';
import type { Caller } from '../../common/caller';
import { BadUserInputError, CatalogError, ConflictError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { Database } from '../../infra/db/database';
import { IdempotencyRepository, type IdempotencyScope } from './idempotency.repository';

const SWEEP_EVERY_MS = 60 * 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export class IdempotencyKeyReusedError extends CatalogError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request; send a new key for a new request');
  }
}

/**
 * `Idempotency-Key` for writes (publish): the same key from the same caller with the same body
 * gets the first result without doing the work again; the same key with another body is refused
 * (422); a duplicate that arrives while the first is still running gets 409. Only successes are
 * remembered: a request that failed releases its key, so a corrected retry may use it again.
 *
 * Never call this inside `db.run`/`db.transaction`: it opens its own units of work around `work`.
 */
export class IdempotencyService {
  private readonly repo = new IdempotencyRepository();
  private lastSweep = 0;

  /**
   * `ttlMs`: how long a key is remembered after its first use (docs/API.md). `lockMs`: a key still
   * in progress after this is taken to belong to a request that died; a retry takes it over.
   */
  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly limits: { ttlMs: number; lockMs: number },
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Runs `work` at most once per (tenant, caller, key, body). Without a key it simply runs it.
   * `body` is what identifies the request (the service input); `operation` keeps keys used for
   * different operations apart. The result is stored as JSON; `*At` ISO strings come back as Dates.
   */
  async withIdempotency<T>(caller: Caller, key: string | null | undefined, body: unknown, work: () => Promise<T>, operation = 'publishPackage'): Promise<T> {
    if (key == null) return work();
    if (!KEY_PATTERN.test(key)) {
      throw new BadUserInputError('Invalid Idempotency-Key header', [
        { path: '$.headers.Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters (a UUID is a good choice)' },
      ]);
    }
    const scope: IdempotencyScope = { tenantId: caller.tenantId, callerId: caller.userId, key };
    const requestHash = hashRequest(operation, body);
    const claimToken = randomUUID();
    const now = this.now();

    const stored = await this.db.run(async (em) => {
      await this.repo.dropIfStale(em, scope, now);
      const claimed = await this.repo.claim(em, scope, {
        requestHash,
        claimToken,
        now,
        lockedUntil: new Date(now.getTime() + this.limits.lockMs),
        expiresAt: new Date(now.getTime() + this.limits.ttlMs),
      });
      return claimed ? null : this.repo.find(em, scope);
    });
    await this.sweep(now);

    if (stored !== null) {
      if (stored.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
      if (stored.state === 'completed' && stored.response !== null) {
        this.logger.info({ tenantId: scope.tenantId, operation }, 'idempotent replay');
        return JSON.parse(stored.response, reviveDates) as T;
      }
      throw new ConflictError('A request with this Idempotency-Key is still in progress; retry when it has finished');
    }

    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.db
        .run((em) => this.repo.release(em, scope, claimToken))
        .catch((releaseError: unknown) => {
          this.logger.error({ err: releaseError }, 'could not release an idempotency key; it frees itself when its lock runs out');
        });
      throw error;
    }
    try {
      await this.db.run((em) => this.repo.complete(em, scope, claimToken, JSON.stringify(result)));
    } catch (error) {
      // The work is done: report its result. A retry after the lock runs out would do it again.
      this.logger.error({ err: error }, 'could not store the result of an idempotent request');
    }
    return result;
  }

  private async sweep(now: Date): Promise<void> {
    if (now.getTime() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now.getTime();
    await this.db
      .run((em) => this.repo.deleteExpired(em, now))
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not sweep expired idempotency keys');
      });
  }
}

/** sha256 of the operation and the body as canonical JSON (sorted keys; absent, undefined and null fields alike). */
export function hashRequest(operation: string, body: unknown): string {
  return createHash('sha256').update(operation).update('\n').update(canonicalJson(body, true)).digest('hex');
}

function canonicalJson(value: unknown, topLevel = false): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      // An optional input given as null means the same as leaving it out.
      .filter(([, v]) => v !== undefined && !(topLevel && v === null))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

function reviveDates(key: string, value: unknown): unknown {
  return key.endsWith('At') && typeof value === 'string' && ISO_TIMESTAMP.test(value) ? new Date(value) : value;
}
