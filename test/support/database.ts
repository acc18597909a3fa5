import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DatabaseConfig } from '../../src/config';
import { createOrm, migrate, type Orm } from '../../src/infra/db/orm';

/**
 * A database of its own for a test file or a bench run: PGlite in memory, or a fresh database on
 * the PostgreSQL server of TEST_DATABASE_URL (as in CI), dropped again by `drop()`.
 */
export interface TestDatabase {
  config: DatabaseConfig;
  /** Its connection URL on PostgreSQL; null for PGlite. */
  url: string | null;
  /** Opens it with the app's migrations applied. PGlite in memory lives only as long as this ORM. */
  openMigrated(): Promise<Orm>;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** The server to create the database on; default TEST_DATABASE_URL, `null` for PGlite. */
  serverUrl?: string | null;
  /** Default: a unique name. A database of that name already there is dropped first. */
  name?: string;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = options.serverUrl === undefined ? process.env.TEST_DATABASE_URL : options.serverUrl;
  if (!serverUrl) return databaseOf({ kind: 'pglite', dataDir: ':memory:' }, async () => {});
  const name = options.name ?? `catalog_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await dropDatabase(serverUrl, name);
  await onServer(serverUrl, `create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return databaseOf({ kind: 'postgres', url: url.toString() }, () => dropDatabase(serverUrl, name));
}

/** A migrated database and its open ORM, for tests that talk to the database directly. */
export async function migratedDatabase(options: TestDatabaseOptions = {}): Promise<{ orm: Orm; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase(options);
  const orm = await database.openMigrated();
  return {
    orm,
    database,
    async close() {
      await orm.close();
      await database.drop();
    },
  };
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, `drop database if exists "${name}" with (force)`);
}

function databaseOf(config: DatabaseConfig, drop: () => Promise<void>): TestDatabase {
  return {
    config,
    url: config.kind === 'postgres' ? config.url : null,
    async openMigrated() {
      const orm = await createOrm(config);
      try {
        await migrate(orm);
      } catch (error) {
        await orm.close();
        throw error;
      }
      return orm;
    },
    drop,
  };
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
