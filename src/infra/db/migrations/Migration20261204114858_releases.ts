import { Migration } from '@mikro-orm/migrations';

/**
 * Releases a team can govern: channels besides `stable`, the publish policy of each tenant, the
 * package's revision, quarantine and stable-channel bookkeeping, and two new version statuses.
 * An expansion: new tables, nullable columns or columns with a default, and a status check that
 * accepts more values than before (every row the previous release writes still passes it). The
 * previous release does not know `staged` and `rejected`: stage nothing until it has stopped
 * serving (docs/DEVELOPMENT.md, "Expand, then contract").
 */
export class Migration20261204114858_releases extends Migration {

  override name = 'Migration20261204114858_releases';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_channel" ("id" uuid not null, "catalog_package_id" uuid not null, "name" varchar(64) not null, "version" varchar(64) not null, "updated_at" timestamptz not null, "updated_by" varchar(256) not null, primary key ("id"));`);
    this.addSql(`alter table "catalog_channel" add constraint "catalog_channel_package_name_unique" unique ("catalog_package_id", "name");`);

    this.addSql(`create table "catalog_publish_policy" ("tenant_id" varchar(128) not null, "rules" jsonb not null, "updated_at" timestamptz not null, "updated_by" varchar(256) not null, primary key ("tenant_id"));`);

    this.addSql(`alter table "catalog_package" add "revision" int not null default 1, add "listed_version" varchar(64) null, add "stable_updated_at" timestamptz null, add "stable_updated_by" varchar(256) null, add "stable_review_at" timestamptz null, add "quarantine_reason" text null, add "quarantined_at" timestamptz null, add "quarantined_by" varchar(256) null;`);

    this.addSql(`alter table "catalog_package_version" drop constraint "catalog_package_version_status_check";`);
    this.addSql(`alter table "catalog_package_version" add constraint "catalog_package_version_status_check" check ("status" in ('active', 'deprecated', 'withdrawn', 'staged', 'rejected'));`);

    this.addSql(`alter table "catalog_channel" add constraint "catalog_channel_catalog_package_id_foreign" foreign key ("catalog_package_id") references "catalog_package" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_channel" cascade;`);
    this.addSql(`drop table if exists "catalog_publish_policy" cascade;`);

    this.addSql(`alter table "catalog_package" drop column "revision", drop column "listed_version", drop column "stable_updated_at", drop column "stable_updated_by", drop column "stable_review_at", drop column "quarantine_reason", drop column "quarantined_at", drop column "quarantined_by";`);

    this.addSql(`alter table "catalog_package_version" drop constraint "catalog_package_version_status_check";`);
    this.addSql(`alter table "catalog_package_version" add constraint "catalog_package_version_status_check" check ("status" in ('active', 'deprecated', 'withdrawn'));`);

  }

}
