import { Migration } from '@mikro-orm/migrations';
import { defaultVersionSql } from '../../../modules/package/default-version';
import { versionSortKey } from '../../../modules/package/version-sort-key';
import { toPgTextArray } from '../sql';

/**
 * Versions that evolve (docs/API.md "Version status, default version, updates and diffs"): a
 * status with its reason, a changelog, a per-version install count, the semver sort key, and the
 * package's default version. Existing rows get their sort key computed here (the rule is code,
 * not SQL) and their package's default version from it.
 */
export class Migration20261130160000_version_status extends Migration {

  override name = 'Migration20261130160000_version_status';

  override async up(): Promise<void> {
    await this.execute(`alter table "catalog_audit_event" drop constraint "catalog_audit_event_action_check";`);
    await this.execute(`alter table "catalog_audit_event" add constraint "catalog_audit_event_action_check" check ("action" in ('publish', 'visibility', 'delete', 'install', 'deprecate', 'withdraw', 'restore'));`);
    await this.execute(`alter table "catalog_package" add "default_version" varchar(64) null;`);
    await this.execute(`alter table "catalog_package_version" add "status" text not null default 'active', add "status_reason" text null, add "changelog" text null, add "version_sort" text collate "C" null, add "install_count" bigint not null default 0;`);
    await this.execute(`alter table "catalog_package_version" add constraint "catalog_package_version_status_check" check ("status" in ('active', 'deprecated', 'withdrawn'));`);
    const rows = (await this.execute(`select "id", "version" from "catalog_package_version"`)) as { id: string; version: string }[];
    if (rows.length > 0) {
      await this.execute(
        `update "catalog_package_version" v set "version_sort" = k.sort from unnest(?::text[], ?::text[]) k(id, sort) where v."id" = k.id::uuid`,
        [toPgTextArray(rows.map((row) => row.id)), toPgTextArray(rows.map((row) => versionSortKey(row.version)))],
      );
    }
    await this.execute(`alter table "catalog_package_version" alter column "version_sort" set not null;`);
    await this.execute(`update "catalog_package" p set "default_version" = ${defaultVersionSql('p.id')};`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" drop constraint "catalog_package_version_status_check";`);
    this.addSql(`alter table "catalog_package_version" drop column "status", drop column "status_reason", drop column "changelog", drop column "version_sort", drop column "install_count";`);
    this.addSql(`alter table "catalog_package" drop column "default_version";`);
    this.addSql(`delete from "catalog_audit_event" where "action" in ('deprecate', 'withdraw', 'restore');`);
    this.addSql(`alter table "catalog_audit_event" drop constraint "catalog_audit_event_action_check";`);
    this.addSql(`alter table "catalog_audit_event" add constraint "catalog_audit_event_action_check" check ("action" in ('publish', 'visibility', 'delete', 'install'));`);
  }

}
