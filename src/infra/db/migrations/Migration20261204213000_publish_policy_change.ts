import { Migration } from '@mikro-orm/migrations';

/**
 * The history of each tenant's publish policy: one row per change, who and when, the rules before
 * and after. An expansion: a new table the previous release never reads.
 */
export class Migration20261204213000_publish_policy_change extends Migration {

  override name = 'Migration20261204213000_publish_policy_change';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_publish_policy_change" ("id" uuid not null, "tenant_id" varchar(128) not null, "actor_id" varchar(256) not null, "actor_email" varchar(320) null, "actor_tenant_id" varchar(128) not null, "from_rules" jsonb null, "to_rules" jsonb not null, "changed_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "catalog_publish_policy_change_tenant_idx" on "catalog_publish_policy_change" ("tenant_id", "changed_at" desc, "id" desc);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_publish_policy_change" cascade;`);
  }

}
