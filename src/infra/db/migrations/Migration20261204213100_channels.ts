import { Migration } from '@mikro-orm/migrations';

/**
 * Release channels: whether a version joined `stable` (a version published to another channel
 * did not, so the default-version rule never picks it by accident), and the version `stable` was
 * set to by hand (a rollback sticks until the next publish to `stable`, another set, or that
 * version stops being installable). An expansion: a column with a default (every existing
 * version joined `stable`, as it did) and a nullable one (no package is pinned), so every row the
 * previous release writes keeps today's rule.
 */
export class Migration20261204213100_channels extends Migration {

  override name = 'Migration20261204213100_channels';

  override up(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" add "in_stable" boolean not null default true;`);
    this.addSql(`alter table "catalog_package" add "stable_pin" varchar(64) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" drop column "in_stable";`);
    this.addSql(`alter table "catalog_package" drop column "stable_pin";`);
  }

}
