import 'reflect-metadata';
import path from 'node:path';
import { createOrm, migrate } from '../src/infra/db/orm';

/**
 * Writes a migration for the difference between the entities and the committed migrations:
 * applies every committed migration to a throwaway in-memory database, then diffs.
 * Usage: npm run migration:create -- <name>
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  const orm = await createOrm({ kind: 'pglite', dataDir: ':memory:' });
  try {
    await migrate(orm);
    const result = await orm.migrator.create(path.resolve('src/infra/db/migrations'), false, false, name);
    if (!result.fileName) {
      console.log('No schema changes: nothing written.');
      return;
    }
    console.log(`Wrote src/infra/db/migrations/${result.fileName}; add it to MIGRATIONS in src/infra/db/migrations/index.ts`);
  } finally {
    await orm.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
