import { Migration } from '@mikro-orm/migrations';

export class Migration20261122052117_republish_base extends Migration {

  override name = 'Migration20261122052117_republish_base';

  override up(): void | Promise<void> {
    this.addSql(`alter table "catalog_package" add "republish_base" varchar(64) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package" drop column "republish_base";`);
  }

}
