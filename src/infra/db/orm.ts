import { mkdirSync } from 'node:fs';
import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver } from '@mikro-orm/pglite';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { DatabaseConfig } from '../../config';
import type { Logger } from '../../common/logger';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export type Orm = MikroORM;

export interface OrmOptions {
  logger?: Logger;
  /** Called with every SQL statement, e.g. to count statements in tests and benchmarks. */
  onQuery?: (sql: string) => void;
}

function baseOptions(options: OrmOptions): Partial<Options> {
  return {
    entities: ENTITIES,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, tableName: 'mikro_orm_migrations', silent: true, snapshot: false },
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
    return MikroORM.init({
      ...baseOptions(options),
      driver: PostgreSqlDriver,
      clientUrl: config.url,
      pool: { min: 0, max: 10 },
    } as Options);
  }
  if (config.dataDir !== ':memory:') mkdirSync(config.dataDir, { recursive: true });
  return MikroORM.init({
    ...baseOptions(options),
    driver: PgliteDriver,
    dbName: config.dataDir === ':memory:' ? 'memory://' : config.dataDir,
  } as Options);
}

export async function migrate(orm: Orm): Promise<void> {
  await orm.migrator.up();
}
