import { Migration } from '@mikro-orm/migrations';
import { toPgTextArray } from '../sql';

/**
 * Versions that evolve (docs/API.md "Version status, default version, updates and diffs"): a
 * status with its reason, a changelog, a per-version install count, the semver sort key, and the
 * package's default version. Existing rows get their sort key computed here (the rule is code,
 * not SQL) and their package's default version from it, both by the rules as they were when this
 * migration was written, frozen below: a later change of the live rules
 * (src/modules/package/version-sort-key.ts, default-version.ts) must not change what this did.
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
        [toPgTextArray(rows.map((row) => row.id)), toPgTextArray(rows.map((row) => frozenVersionSortKey(row.version)))],
      );
    }
    await this.execute(`alter table "catalog_package_version" alter column "version_sort" set not null;`);
    await this.execute(`update "catalog_package" p set "default_version" = ${FROZEN_DEFAULT_VERSION_SQL};`);
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

/** The default version of package `p` as of this migration: the highest installable release, else prerelease. */
const FROZEN_DEFAULT_VERSION_SQL =
  `(select dv.version from catalog_package_version dv where dv.catalog_package_id = p.id and dv.status <> 'withdrawn'` +
  ` order by strpos(dv.version, '-') = 0 desc, dv.version_sort collate "C" desc limit 1)`;

/** The semver sort key as of this migration (stored versions were validated at publish). */
export function frozenVersionSortKey(version: string): string {
  const at = version.indexOf('-');
  const [core, prerelease] = at < 0 ? [version, undefined] : [version.slice(0, at), version.slice(at + 1)];
  const numberKey = (digits: string) => `${String(digits.length).padStart(2, '0')}:${digits}`;
  const release = core.split('.').map(numberKey).join('.');
  if (prerelease === undefined) return `${release}~`;
  return `${release}-${prerelease.split('.').map((id) => (/^\d+$/.test(id) ? `i${numberKey(id)}` : `s${id}!`)).join('')}`;
}
