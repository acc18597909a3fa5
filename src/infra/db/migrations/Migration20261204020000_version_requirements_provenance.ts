import { Migration } from '@mikro-orm/migrations';

/**
 * What a version needs where it is installed (requirements) and its signed provenance statement.
 * An expansion: both are nullable, so a release that does not know them keeps inserting versions,
 * and the versions published before this migration read as having neither (docs/API.md says what
 * that means for the pre-flight check and for install).
 */
export class Migration20261204020000_version_requirements_provenance extends Migration {

  override name = 'Migration20261204020000_version_requirements_provenance';

  override up(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" add "requirements" jsonb null, add "provenance" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" drop column "requirements", drop column "provenance";`);
  }

}
