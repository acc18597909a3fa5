import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../../config';
import type { Database } from '../../infra/db/database';
import { RATE_LIMIT_TABLE } from '../../infra/db/unmanaged-tables';
import { execute, sql, type SqlFragment, type SqlValue } from '../../infra/db/sql';

/** Where counters live; `limiter` makes one fixed-window bucket family there. */
export interface CounterStore {
  limiter(options: { keyPrefix: string; points: number; durationSeconds: number }): Promise<RateLimiterAbstract>;
  close(): Promise<void>;
}

/** The table rate-limiter-flexible keeps its counters in (created by a migration, not by the limiter). */

/** A Redis call that takes longer than this counts as a failure (the request is let through). */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** At start, how long to wait for Redis before serving uncounted (fail open). */
const REDIS_READY_TIMEOUT_MS = 2_000;

export async function openCounterStore(config: RateLimitConfig, deps: { db: Database; onStoreError: (error: unknown) => void }): Promise<CounterStore> {
  switch (config.store) {
    case 'memory':
      return {
        limiter: async ({ keyPrefix, points, durationSeconds }) => new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
        close: async () => {},
      };
    case 'redis':
      return openRedisStore(config.redisUrl ?? 'redis://127.0.0.1:6379', deps.onStoreError);
    case 'database':
      return openDatabaseStore(deps.db);
  }
}

async function openRedisStore(url: string, onStoreError: (error: unknown) => void): Promise<CounterStore> {
  // No offline queue and one try: while Redis is away, a check fails at once instead of holding
  // the request until a reconnect.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS });
  redis.on('error', onStoreError);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, REDIS_READY_TIMEOUT_MS);
    redis.once('ready', done);
    redis.once('error', done);
    function done(): void {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    }
  });
  return {
    limiter: async ({ keyPrefix, points, durationSeconds }) =>
      new RateLimiterRedis({ storeClient: redis, rejectIfRedisNotReady: true, keyPrefix, points, duration: durationSeconds }),
    close: async () => redis.disconnect(),
  };
}

/**
 * rate-limiter-flexible's PostgreSQL limiter, speaking through our `Database` rather than a pool of
 * its own: PGlite has no `pg` pool, and its single connection must be shared through the queue.
 */
async function openDatabaseStore(db: Database): Promise<CounterStore> {
  // Once closed, nothing may reach the database again: a late query would make the ORM reconnect.
  let closed = false;
  const run = async (statement: SqlFragment) => {
    if (closed) throw new Error('The rate limit store is closed');
    return db.run((em) => execute<Record<string, unknown>[]>(em, statement));
  };
  const client = {
    async query(query: { text: string; values?: unknown[] }) {
      const rows = await run(toQuestionMarks(query.text, query.values ?? []));
      return { rows, rowCount: rows.length };
    },
  };
  // Our own sweep of rows expired an hour ago, instead of the library's timers, which nothing stops.
  const sweep = setInterval(() => {
    run(sql`delete from ${sql.raw(RATE_LIMIT_TABLE)} where expire < ${Date.now() - SWEEP_AGE_MS}`).catch(() => undefined);
  }, SWEEP_EVERY_MS);
  sweep.unref();
  return {
    async limiter({ keyPrefix, points, durationSeconds }) {
      // The table comes from a migration.
      return new RateLimiterPostgres({
        storeClient: client,
        storeType: 'client',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix,
        points,
        duration: durationSeconds,
      } as PostgresOptions);
    },
    close: async () => {
      closed = true;
      clearInterval(sweep);
    },
  };
}

const SWEEP_EVERY_MS = 5 * 60_000;
const SWEEP_AGE_MS = 60 * 60_000;

/** Its typings leave out an option the implementation reads. */
type PostgresOptions = ConstructorParameters<typeof RateLimiterPostgres>[0] & { clearExpiredByTimeout: boolean };

/**
 * rate-limiter-flexible writes `$1`-style parameters; MikroORM's `execute` takes `?`, one per use
 * (a `$2` used twice is two). Its values are scalars (keys, points, times): `sql` refuses anything
 * else when it builds the statement.
 */
export function toQuestionMarks(text: string, values: readonly unknown[]): SqlFragment {
  // split with a capture group alternates text and the parameters' numbers.
  const pieces = text.split(/\$(\d+)/);
  return sql.join(
    pieces.map((piece, i) => (i % 2 === 0 ? sql.raw(piece) : (values[Number(piece) - 1] as SqlValue))),
    '',
  );
}
