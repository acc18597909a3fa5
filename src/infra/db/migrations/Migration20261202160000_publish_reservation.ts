import { Migration } from '@mikro-orm/migrations';

export class Migration20261202160000_publish_reservation extends Migration {

  override name = 'Migration20261202160000_publish_reservation';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_publish_reservation" ("tenant_id" varchar(128) not null, "package_id" varchar(64) not null, "token" uuid not null, "version" varchar(64) not null, "size_bytes" bigint not null, "new_package" boolean not null, "expires_at" timestamptz not null, primary key ("tenant_id", "package_id"));`);
    this.addSql(`create index "catalog_publish_reservation_expires_idx" on "catalog_publish_reservation" ("expires_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_publish_reservation" cascade;`);
  }

}
