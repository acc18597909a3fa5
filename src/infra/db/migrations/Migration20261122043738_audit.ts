import { Migration } from '@mikro-orm/migrations';

export class Migration20261122043738_audit extends Migration {

  override name = 'Migration20261122043738_audit';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_audit_event" ("id" uuid not null, "tenant_id" varchar(128) not null, "catalog_package_id" uuid not null, "package_id" varchar(64) not null, "version" varchar(64) null, "actor_id" varchar(256) not null, "actor_email" varchar(320) null, "actor_tenant_id" varchar(128) not null, "action" text not null, "changes" jsonb not null, "occurred_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "catalog_audit_event_package_idx" on "catalog_audit_event" ("catalog_package_id", "occurred_at" desc, "id" desc);`);

    this.addSql(`alter table "catalog_audit_event" add constraint "catalog_audit_event_action_check" check ("action" in ('publish', 'visibility', 'delete', 'install'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_audit_event" cascade;`);
  }

}
