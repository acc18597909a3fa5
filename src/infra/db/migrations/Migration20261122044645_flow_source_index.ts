import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044645_flow_source_index extends Migration {

  override name = 'Migration20261122044645_flow_source_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "catalog_package_source_flow_idx" on "catalog_package" ("tenant_id", "source_flow_id") where "deleted_at" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "catalog_package_source_flow_idx";`);
  }

}
