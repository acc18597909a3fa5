import { Migration } from '@mikro-orm/migrations';

/**
 * The limiter keeps its counters in rate-limiter-flexible's `rate_limit_counter` (the columns its
 * RateLimiterPostgres would create), made here so the app's database user needs no CREATE right.
 * Unlogged like the old table: a crash only restarts the current window. The old limiter's
 * `rate_limit_bucket` is read by nothing any more.
 */
export class Migration20261130160000_rate_limit_counter extends Migration {

  override name = 'Migration20261130160000_rate_limit_counter';

  override up(): void | Promise<void> {
    this.addSql(`drop table if exists "rate_limit_bucket" cascade;`);
    this.addSql(`create unlogged table if not exists "rate_limit_counter" ("key" varchar(255) primary key, "points" integer not null default 0, "expire" bigint);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "rate_limit_counter" cascade;`);
    this.addSql(`create unlogged table "rate_limit_bucket" ("bucket" varchar(512) not null, "window_start" timestamptz not null, "hits" int not null, primary key ("bucket"));`);
    this.addSql(`create index "rate_limit_bucket_window_idx" on "rate_limit_bucket" ("window_start");`);
  }

}
