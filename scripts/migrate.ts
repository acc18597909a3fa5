import 'reflect-metadata';
import { createLogger } from '../src/common/logger';
import { ConfigError, loadConfig } from '../src/config';
import { createOrm, migrate } from '../src/infra/db/orm';

/**
 * Applies the pending migrations and exits, for platforms that run migrations as a job before
 * (or while) the serving instances start with MIGRATE=false: `npm run migrate`, or in the image
 * `node dist/scripts/migrate.js`. Same environment as the service (DATABASE_URL, ...), same lock
 * as an instance migrating at start (docs/ARCHITECTURE.md, "Migrations under a lock"), so jobs and
 * instances started together still migrate once. Exit 0 when the schema is migrated, 1 otherwise.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const orm = await createOrm(config.database, { logger, tuning: config.tuning });
  try {
    await migrate(orm, { logger, waitMs: config.tuning.migrateWaitMs });
  } finally {
    await orm.close();
  }
}

main().catch((error: unknown) => {
  const reason = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`migrate: the schema was not migrated: ${reason}\n`);
  process.exitCode = 1;
});
