import type { AbstractSqlConnection, SqlEntityManager } from '@mikro-orm/sql';
import { ServiceUnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Orm } from './orm';
import { metrics } from '../metrics/metrics';
import type { ReadRouting } from './read-replicas';

/**
 * The one way services reach the database. Each call gets its own forked EntityManager.
 *
 * PGlite is a single in-process connection: kysely's PGlite driver routes every query through
 * whichever transaction is open, so two requests interleaving would run inside each other's
 * transactions. For PGlite every unit of work therefore runs one at a time behind a queue;
 * PostgreSQL runs them concurrently on its pool.
 *
 * A database that is down, stalled or refusing surfaces here, and only here, as
 * `ServiceUnavailableError('database')`; SQL errors (constraints, syntax) pass through as they are.
 */
/** The EntityManager services get: the SQL flavour, for raw queries through MikroORM. */
export type Em = SqlEntityManager;

export interface DatabaseOptions {
  logger?: Logger;
  /**
   * Deadline of one unit of work, queue wait included, for PGlite (PostgreSQL's deadlines are in
   * the pool options, see orm.ts). Absent: no deadline.
   */
  unitDeadlineMs?: number;
  /** How long `close()` waits for work already running to finish. Absent: it does not wait. */
  closeWaitMs?: number;
  /** Where `read` sends its work (read-replicas.ts). Absent: everything runs on the primary. */
  readRouting?: ReadRouting;
}

// A no-op until the OpenTelemetry SDK is started (src/infra/telemetry). PGlite has no driver
// instrumentation, so this span is what shows database work in a trace on both databases.
const tracer = trace.getTracer('flow-package-catalog/database');

export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  // Units of work that have started: `close()` lets them finish before it closes the ORM.
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    readonly orm: Orm,
    private readonly serialize: boolean,
    private readonly options: DatabaseOptions = {},
  ) {}

  /** Runs `work` with a fresh EntityManager (no transaction). */
  run<T>(work: (em: Em) => Promise<T>): Promise<T> {
    return this.traced('run', () => this.guarded(() => work(this.orm.em.fork() as Em)));
  }

  /**
   * Runs `work`, which only reads and tolerates a short lag, on a healthy read replica when there
   * is one and the caller has not written within `READ_YOUR_WRITES_SECONDS`; on the primary
   * otherwise. A replica that fails to answer is skipped from then on and the work runs again on
   * the primary, so a dead replica costs one connect deadline, not an error.
   */
  async read<T>(work: (em: Em) => Promise<T>): Promise<T> {
    const routing = this.options.readRouting;
    const replica = routing?.pick();
    if (!routing || !replica || this.closed) {
      metrics.databaseReads.inc({ target: 'primary' });
      return this.run(work);
    }
    try {
      const result = await this.traced('replica', () => this.withDeadline(work(pinnedTo(this.orm.em.fork() as Em, replica.connection))));
      metrics.databaseReads.inc({ target: 'replica' });
      return result;
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      routing.markDown(replica, error);
      metrics.databaseReads.inc({ target: 'fallback' });
      return this.run(work);
    }
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (em: Em) => Promise<T>): Promise<T> {
    const result = await this.traced('transaction', () => this.guarded(() => (this.orm.em.fork() as Em).transactional((em) => work(em))));
    this.options.readRouting?.noteWrite();
    return result;
  }

  /** Runs `work`, a write in one statement (no transaction needed), on the primary, as `transaction` does. */
  async write<T>(work: (em: Em) => Promise<T>): Promise<T> {
    const result = await this.run(work);
    this.options.readRouting?.noteWrite();
    return result;
  }

  /**
   * Closes the ORM. Work asked for afterwards is refused: MikroORM would otherwise reconnect on the
   * next query (a new PGlite, or a new pool) behind a service that is stopping.
   */
  async close(): Promise<void> {
    this.closed = true;
    // Work already running may have statements left: closing under it would make MikroORM reconnect
    // for them. Wait for it, within a bound.
    await this.settled(this.options.closeWaitMs ?? 0);
    await this.orm.close();
    // MikroORM builds a new client (a new PGlite, or a new pool) for any query after close(), also
    // one that does not pass through here: refuse to build one instead.
    const connection = this.orm.em.getConnection() as unknown as { createKyselyDialect: () => never };
    connection.createKyselyDialect = () => {
      throw new ServiceUnavailableError('database', 'The service is shutting down');
    };
  }

  private async settled(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([Promise.allSettled([...this.running]), waited]).finally(() => clearTimeout(timer));
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    // Checked again when the work starts: on PGlite it may have waited in the queue past `close()`.
    const unlessClosed = () => {
      if (this.closed) throw new ServiceUnavailableError('database', 'The service is shutting down');
      const running = work();
      this.running.add(running);
      void running.catch(() => undefined).finally(() => this.running.delete(running));
      return running;
    };
    try {
      return await this.withDeadline(this.exclusive(unlessClosed));
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.options.logger?.warn({ dependency: 'database', err: error }, 'database unavailable');
      throw new ServiceUnavailableError('database');
    }
  }

  private withDeadline<T>(work: Promise<T>): Promise<T> {
    const ms = this.options.unitDeadlineMs;
    if (ms === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceededError(ms)), ms);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  /** The span (`db.run`, `db.transaction`) and the timing cover the wait behind PGlite's queue too: that is what the caller waits for. */
  private traced<T>(kind: 'run' | 'transaction' | 'replica', work: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(`db.${kind}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, async (span) => {
      const stop = metrics.databaseDuration.startTimer({ kind });
      try {
        const result = await work();
        stop({ outcome: 'ok' });
        return result;
      } catch (error) {
        stop({ outcome: 'error' });
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (!this.serialize) return work();
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * An EntityManager whose every statement goes to `connection` (a read replica). The repositories
 * run raw SQL through `em.execute`, which asks the EntityManager for its connection.
 */
function pinnedTo(em: Em, connection: AbstractSqlConnection): Em {
  em.getConnection = () => connection;
  return em;
}

class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`database work did not finish within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

// SQLSTATE classes and codes meaning "the database could not do it now", not "the SQL is wrong":
// 08 connection exception, 57014 statement timeout (query_canceled), 57P0x shutdown/cannot connect,
// 53300 too many connections.
const UNAVAILABLE_SQLSTATE = /^(08...|57014|57P0[1-3]|53300)$/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// pg and pg-pool report their own timeouts and drops with plain messages.
const UNAVAILABLE_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Query read timeout/, /is not queryable/];

/** True for driver and connection failures, anywhere in the `cause` chain (MikroORM wraps them). */
function isUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof DeadlineExceededError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
    const message = current.message;
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}
