import { mkdirSync } from 'node:fs';
import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver } from '@mikro-orm/pglite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { DEFAULT_TUNING, type DatabaseConfig, type Tuning } from '../../config';
import type { Logger } from '../../common/logger';
import { RATE_LIMIT_TABLE } from './unmanaged-tables';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { underMigrationLock, type SchemaWaitOptions } from './migration-lock';
import type { AbstractSqlConnection } from '@mikro-orm/sql';
import type { Replica } from './read-replicas';

export type Orm = MikroORM;

export interface OrmOptions {
  logger?: Logger;
  /** Called with every SQL statement, e.g. to count statements in tests and benchmarks. */
  onQuery?: (sql: string) => void;
  /** Statement and connect timeouts, pool size; `DEFAULT_TUNING` when absent. */
  tuning?: Pick<Tuning, 'statementTimeoutMs' | 'connectTimeoutMs' | 'poolMax'>;
}

/** The bits of a `pg` pool and client used here (the driver owns the `pg` package). */
interface PgClient {
  query(...args: unknown[]): unknown;
  end(): Promise<void>;
}
interface PgPool {
  on(event: 'connect', listener: (client: PgClient) => void): unknown;
}

/** Margin over `statement_timeout` before the client gives up on an answer that never comes. */
const READ_TIMEOUT_MARGIN_MS = 1_000;

/**
 * pg options that bound every database call (MikroORM passes `driverOptions` to `new pg.Pool`):
 * the server cancels a slow statement (57014), the client stops waiting for a server that no
 * longer answers, and both a pool checkout and a new connection give up after `connectTimeoutMs`.
 */
function pgDeadlines(tuning: NonNullable<OrmOptions['tuning']>) {
  return {
    statement_timeout: tuning.statementTimeoutMs,
    query_timeout: tuning.statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
    connectionTimeoutMillis: tuning.connectTimeoutMs,
    keepAlive: true,
    onPoolCreated: (pool: PgPool) => pool.on('connect', endAfterReadTimeout),
  };
}

/**
 * pg's client-side `query_timeout` rejects the query but leaves it on the wire, so the client would
 * go back to the pool wedged behind it. Ending it there (before the release, since this handler is
 * registered first) makes the pool discard it, and the next checkout opens a fresh connection.
 */
function endAfterReadTimeout(client: PgClient): void {
  const query = client.query.bind(client);
  client.query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if ((error as Error | undefined)?.message === 'Query read timeout') void client.end().catch(() => undefined);
      });
    }
    return result;
  };
}

function baseOptions(options: OrmOptions): Partial<Options> {
  return {
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, tableName: 'mikro_orm_migrations', silent: true, snapshot: false },
    // The limiter's counters are rate-limiter-flexible's table, not an entity: a migration creates it.
    // So do the search functions the generated columns call (migration …170000_tenant_search).
    schemaGenerator: { skipTables: [RATE_LIMIT_TABLE], ignoreRoutines: true },
    // Entities are explicit schemas; nothing to discover at start.
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    logger: (message) => options.logger?.debug({ orm: message }, 'orm'),
    onQuery: (sql) => {
      options.onQuery?.(sql);
      return sql;
    },
  };
}

/** Opens PostgreSQL or the embedded PGlite with the same entities and migrations. */
export async function createOrm(config: DatabaseConfig, options: OrmOptions = {}): Promise<Orm> {
  if (config.kind === 'postgres') {
    const tuning = options.tuning ?? DEFAULT_TUNING;
    return MikroORM.init({
      ...baseOptions(options),
      driver: PostgreSqlDriver,
      clientUrl: config.url,
      pool: { min: 0, max: tuning.poolMax },
      driverOptions: pgDeadlines(tuning),
      // Each replica gets a pool like the primary's, with the same deadlines. Reads reach a replica
      // only through `Database.read` (read-replicas.ts chooses which): never implicitly.
      replicas: (config.replicaUrls ?? []).map((clientUrl, i) => ({ name: replicaName(i), clientUrl })),
      preferReadReplicas: false,
    } as Options);
  }
  if (config.dataDir !== ':memory:') mkdirSync(config.dataDir, { recursive: true });
  return MikroORM.init({
    ...baseOptions(options),
    driver: PgliteDriver,
    dbName: config.dataDir === ':memory:' ? 'memory://' : config.dataDir,
  } as Options);
}

export const replicaName = (index: number) => `replica-${index + 1}`;

/** The read replicas' connections MikroORM opened (its `replicas` option), by name. */
export function replicaConnections(orm: Orm): Replica[] {
  const replicas = (orm.driver as unknown as { replicas: AbstractSqlConnection[] }).replicas;
  return replicas.map((connection, i) => ({ name: replicaName(i), connection }));
}

/**
 * Applies the pending migrations, under the migration lock on PostgreSQL (migration-lock.ts): with
 * several instances starting at once, one migrates and the others wait, then find nothing to do.
 */
export async function migrate(orm: Orm, options: Partial<SchemaWaitOptions> = {}): Promise<void> {
  const { logger } = options;
  const applied = await underMigrationLock(orm, { waitMs: DEFAULT_TUNING.migrateWaitMs, ...options }, () => orm.migrator.up());
  logger?.info({ applied: applied.map((migration) => migration.name) }, 'schema is migrated');
}
