import type { SqlEntityManager } from '@mikro-orm/sql';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Orm } from './orm';

/**
 * The one way services reach the database. Each call gets its own forked EntityManager.
 *
 * PGlite is a single in-process connection: kysely's PGlite driver routes every query through
 * whichever transaction is open, so two requests interleaving would run inside each other's
 * transactions. For PGlite every unit of work therefore runs one at a time behind a queue;
 * PostgreSQL runs them concurrently on its pool.
 */
/** The EntityManager services get: the SQL flavour, for raw queries through MikroORM. */
export type Em = SqlEntityManager;

// A no-op until the OpenTelemetry SDK is started (src/infra/telemetry). PGlite has no driver
// instrumentation, so this span is what shows database work in a trace on both databases.
const tracer = trace.getTracer('flow-package-catalog/database');

export class Database {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly orm: Orm,
    private readonly serialize: boolean,
  ) {}

  /** Runs `work` with a fresh EntityManager (no transaction). */
  run<T>(work: (em: Em) => Promise<T>): Promise<T> {
    return this.traced('db.run', () => this.exclusive(() => work(this.orm.em.fork() as Em)));
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (em: Em) => Promise<T>): Promise<T> {
    return this.traced('db.transaction', () => this.exclusive(() => (this.orm.em.fork() as Em).transactional((em) => work(em))));
  }

  /** The span covers the wait behind PGlite's queue too: that is what the caller waits for. */
  private traced<T>(name: string, work: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, async (span) => {
      try {
        return await work();
      } catch (error) {
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
