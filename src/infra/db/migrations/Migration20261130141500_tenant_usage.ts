import { Migration } from '@mikro-orm/migrations';

export class Migration20261130141500_tenant_usage extends Migration {

  override name = 'Migration20261130141500_tenant_usage';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_tenant_usage" ("tenant_id" varchar(128) not null, "packages" bigint not null, "versions" bigint not null, "bytes" bigint not null, primary key ("tenant_id"));`);
    // Counters of what was published before quotas existed (deleted packages included).
    this.addSql(`insert into "catalog_tenant_usage" ("tenant_id", "packages", "versions", "bytes")
      select p."tenant_id", count(distinct p."id"), count(v."id"), coalesce(sum(v."size_bytes"), 0)
      from "catalog_package" p left join "catalog_package_version" v on v."catalog_package_id" = p."id"
      group by p."tenant_id";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_tenant_usage" cascade;`);
  }

}
