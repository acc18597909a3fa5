import { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Logger } from '../../common/logger';
import { MIGRATIONS } from './migrations';
import type { Orm } from './orm';

/**
 * Many instances, one database (docs/ARCHITECTURE.md, "Migrations under a lock"). Instances started
 * together on an empty PostgreSQL database would each run `CREATE TABLE` for the same tables, and
 * all but one die on `duplicate key value violates unique constraint "pg_type_typname_nsp_index"`.
 * So the migrator runs while its process holds a session-level advisory lock: one instance
 * migrates, the others wait for the lock and then find nothing left to do.
 *
 * PGlite needs no lock: one process owns its directory.
 */
export interface SchemaWaitOptions {
  logger?: Logger;
  /** How long to wait for another instance's migrations before giving up. */
  waitMs: number;
  /** How often to look again while waiting. */
  pollMs?: number;
}

/**
 * The advisory lock's key: any fixed bigint, the same in every build. Only processes that take
 * the same key wait for each other, so it must never change.
 */
const MIGRATION_LOCK_KEY = '4640311781936311360';
const DEFAULT_POLL_MS = 250;

/** The bits of a `pg` pool and client used here (the driver owns the `pg` package). */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgPool {
  Client: new (options: unknown) => PgClient;
  options: unknown;
}

export class MigrationWaitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationWaitError';
  }
}

/** Runs `migrateNow` (the migrator) while holding the migration lock on PostgreSQL; directly on PGlite. */
export async function underMigrationLock<T>(orm: Orm, options: SchemaWaitOptions, migrateNow: () => Promise<T>): Promise<T> {
  const connection = orm.em.getConnection();
  if (!(connection instanceof PostgreSqlConnection)) return migrateNow();
  // A connection of its own, outside the ORM's pool: the lock lives as long as this session (a
  // process that dies releases it with its connection), and the migrator keeps the whole pool.
  const pool = (await connection.getNativeClient()) as unknown as PgPool;
  const client = new pool.Client(pool.options);
  client.on('error', (error) => options.logger?.warn({ err: error }, 'migration lock connection error'));
  await client.connect();
  try {
    await acquire(client, options);
    try {
      return await migrateNow();
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Polls with `pg_try_advisory_lock` rather than blocking in `pg_advisory_lock`: a blocked call
 * would hit `statement_timeout`, and polling lets the wait have its own deadline and log line.
 */
async function acquire(client: PgClient, options: SchemaWaitOptions): Promise<void> {
  const started = Date.now();
  let logged = false;
  for (;;) {
    const { rows } = await client.query('select pg_try_advisory_lock($1::bigint) as locked', [MIGRATION_LOCK_KEY]);
    if (rows[0]?.locked === true) {
      if (logged) options.logger?.info({ waitedMs: Date.now() - started }, "another instance's migrations are done");
      return;
    }
    if (!logged) {
      options.logger?.info({ waitMs: options.waitMs }, "waiting for another instance's migrations");
      logged = true;
    }
    if (Date.now() - started >= options.waitMs) {
      throw new MigrationWaitError(
        `another instance has held the migration lock for more than ${Math.round(options.waitMs / 1000)} s (MIGRATE_WAIT_SECONDS); ` +
          'is a migration stuck? See pg_locks where locktype = advisory',
      );
    }
    await sleep(options.pollMs ?? DEFAULT_POLL_MS);
  }
}

/**
 * For an instance that does not migrate (`MIGRATE=false`): waits, within `waitMs`, until every
 * migration this build knows has been applied (by `npm run migrate` or another instance), and fails
 * with their names otherwise. Migrations applied that this build does not know (a newer release's)
 * are fine: code of release N works on the schema of release N+1.
 */
export async function awaitMigratedSchema(orm: Orm, options: SchemaWaitOptions): Promise<void> {
  const started = Date.now();
  let logged = false;
  for (;;) {
    const pending = await pendingMigrations(orm);
    if (pending.length === 0) {
      if (logged) options.logger?.info({ waitedMs: Date.now() - started }, 'schema is migrated');
      return;
    }
    if (Date.now() - started >= options.waitMs) {
      throw new MigrationWaitError(
        `MIGRATE=false, and the database still lacks ${pending.length} migration(s) of this build after ` +
          `${Math.round(options.waitMs / 1000)} s (MIGRATE_WAIT_SECONDS): ${pending.join(', ')}. Run npm run migrate first`,
      );
    }
    if (!logged) {
      options.logger?.info({ pending, waitMs: options.waitMs }, 'MIGRATE=false: waiting for the schema to be migrated');
      logged = true;
    }
    await sleep(options.pollMs ?? DEFAULT_POLL_MS);
  }
}

/** This build's migrations not recorded in the migrations table (all of them when it is missing). */
async function pendingMigrations(orm: Orm): Promise<string[]> {
  const table = orm.config.get('migrations').tableName ?? 'mikro_orm_migrations';
  const connection = orm.em.getConnection();
  const [exists] = await connection.execute<{ found: boolean }[]>('select to_regclass(?) is not null as found', [table]);
  if (!exists?.found) return MIGRATIONS.map((migration) => migration.name);
  const rows: { name: string }[] = await connection.execute(`select name from "${table}"`);
  const applied = new Set(rows.map((row) => row.name));
  return MIGRATIONS.map((migration) => migration.name).filter((name) => !applied.has(name));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
