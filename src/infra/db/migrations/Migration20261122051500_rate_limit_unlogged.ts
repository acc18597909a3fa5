import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counters skip the write-ahead log: every request upserts them, and a logged commit
 * waits for a WAL flush (fsync, 3-5 ms on the bench machine) that the counters do not need. After
 * a crash PostgreSQL empties an unlogged table: the current window simply starts again.
 * docs/PERFORMANCE.md has the measurements.
 */
export class Migration20261122051500_rate_limit_unlogged extends Migration {

  override name = 'Migration20261122051500_rate_limit_unlogged';

  override up(): void | Promise<void> {
    this.addSql(`alter table "rate_limit_bucket" set unlogged;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "rate_limit_bucket" set logged;`);
  }

}
