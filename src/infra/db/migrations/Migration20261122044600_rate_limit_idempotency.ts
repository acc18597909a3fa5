import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044600_rate_limit_idempotency extends Migration {

  override name = 'Migration20261122044600_rate_limit_idempotency';

  override up(): void | Promise<void> {
    this.addSql(`create table "idempotency_key" ("tenant_id" varchar(128) not null, "caller_id" varchar(256) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "state" text not null, "claim_token" uuid not null, "locked_until" timestamptz not null, "response" jsonb null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("tenant_id", "caller_id", "key"));`);
    this.addSql(`create index "idempotency_key_expires_idx" on "idempotency_key" ("expires_at");`);

    this.addSql(`create table "rate_limit_bucket" ("bucket" varchar(512) not null, "window_start" timestamptz not null, "hits" int not null, primary key ("bucket"));`);
    this.addSql(`create index "rate_limit_bucket_window_idx" on "rate_limit_bucket" ("window_start");`);

    this.addSql(`alter table "idempotency_key" add constraint "idempotency_key_state_check" check ("state" in ('in_progress', 'completed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "idempotency_key" cascade;`);
    this.addSql(`drop table if exists "rate_limit_bucket" cascade;`);
  }

}
