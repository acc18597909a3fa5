import type { Pool, PoolClient } from 'pg';
import type { Em } from '../src/infra/db/database';

/**
 * The one thing the repositories need from an EntityManager, `execute(sql, params)`, on a bare
 * `pg` pool or client. The baseline server runs the app's own repositories through it, so both
 * arms send exactly the same SQL text; only the ORM and everything above it are missing.
 *
 * MikroORM inlines the parameters and sends a simple query; here they travel as bind parameters
 * (`?` becomes `$n`), the usual way with bare `pg`. The statement and its plan are the same.
 */
export function pgEm(db: Pool | PoolClient): Em {
  const adapter = {
    async execute(sql: string, params: readonly unknown[] = []): Promise<unknown[]> {
      const result = await db.query(toPositional(sql), params as unknown[]);
      return result.rows;
    },
  };
  return adapter as unknown as Em;
}

/** `?` placeholders to `$1, $2, …` (the repositories' SQL has no `?` inside literals). */
export function toPositional(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
