import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { DatabaseConfig } from '../../config';
import type { Orm } from '../db/orm';
import { watchDatabasePool } from './metrics';

/**
 * Puts MikroORM's `pg` pool into `catalog_db_pool_connections`; returns what stops it. PGlite is a
 * single in-process connection: no pool to report.
 */
export async function watchOrmPool(orm: Orm, database: DatabaseConfig): Promise<() => void> {
  if (database.kind !== 'postgres') return () => {};
  const pool = await (orm.em.getConnection() as unknown as PostgreSqlConnection).getNativeClient();
  return watchDatabasePool(pool);
}
