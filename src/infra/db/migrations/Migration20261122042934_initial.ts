import { Migration } from '@mikro-orm/migrations';

export class Migration20261122042934_initial extends Migration {

  override name = 'Migration20261122042934_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_package" ("id" uuid not null, "tenant_id" varchar(128) not null, "package_id" varchar(64) not null, "name" varchar(200) not null, "description" text null, "readme" text null, "latest_version" varchar(64) not null, "author_id" varchar(256) not null, "author_email" varchar(320) null, "visibility" text not null default 'tenant', "visibility_group_ids" text[] not null default '{}', "source_flow_id" varchar(128) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deleted_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "catalog_package_tenant_list_idx" on "catalog_package" ("tenant_id", "created_at" desc, "id" desc) where "deleted_at" is null;`);
    this.addSql(`create index "catalog_package_global_list_idx" on "catalog_package" ("created_at" desc, "id" desc) where "deleted_at" is null;`);
    this.addSql(`create index "catalog_package_groups_idx" on "catalog_package" using gin ("visibility_group_ids");`);
    this.addSql(`alter table "catalog_package" add constraint "catalog_package_tenant_package_unique" unique ("tenant_id", "package_id");`);

    this.addSql(`create table "catalog_package_version" ("id" uuid not null, "catalog_package_id" uuid not null, "version" varchar(64) not null, "sha256" varchar(64) not null, "size_bytes" int not null, "blob_name" varchar(512) not null, "publisher_id" varchar(256) not null, "publisher_email" varchar(320) null, "published_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "catalog_package_version_history_idx" on "catalog_package_version" ("catalog_package_id", "published_at" desc, "id" desc);`);
    this.addSql(`alter table "catalog_package_version" add constraint "catalog_package_version_unique" unique ("catalog_package_id", "version");`);

    this.addSql(`alter table "catalog_package" add constraint "catalog_package_visibility_check" check ("visibility" in ('tenant', 'groups'));`);

    this.addSql(`alter table "catalog_package_version" add constraint "catalog_package_version_catalog_package_id_foreign" foreign key ("catalog_package_id") references "catalog_package" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" drop constraint "catalog_package_version_catalog_package_id_foreign";`);

    this.addSql(`drop table if exists "catalog_package" cascade;`);
    this.addSql(`drop table if exists "catalog_package_version" cascade;`);
  }

}
