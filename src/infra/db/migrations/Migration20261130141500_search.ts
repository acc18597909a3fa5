import { Migration } from '@mikro-orm/migrations';

/**
 * Ranked search (docs/API.md "Finding packages"): tags, node types and install counts on packages,
 * and a weighted `search_vector` the database keeps up to date itself (a stored generated column).
 * `array_to_string` is only STABLE, which a generated column refuses: tags reach the parser as the
 * text of `array_to_tsvector(tags)` instead (immutable). btree_gin is not in PGlite, so the GIN indexes carry no tenant:
 * the planner combines them with the tenant's btree index.
 */
export class Migration20261130141500_search extends Migration {

  override name = 'Migration20261130141500_search';

  override up(): void | Promise<void> {
    this.addSql(`alter table "catalog_package" add "tags" text[] not null default '{}', add "node_types" text[] not null default '{}', add "install_count" bigint not null default 0;`);
    this.addSql(`alter table "catalog_package" add "search_vector" tsvector generated always as (${SEARCH_VECTOR}) stored;`);
    this.addSql(`create index "catalog_package_search_idx" on "catalog_package" using gin ("search_vector");`);
    this.addSql(`create index "catalog_package_tags_idx" on "catalog_package" using gin ("tags");`);
    this.addSql(`create index "catalog_package_node_types_idx" on "catalog_package" using gin ("node_types");`);
    this.addSql(`alter table "catalog_package_version" add "tags" text[] not null default '{}', add "node_types" text[] not null default '{}';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package_version" drop column "tags", drop column "node_types";`);
    this.addSql(`alter table "catalog_package" drop column "search_vector", drop column "tags", drop column "node_types", drop column "install_count";`);
  }

}

/** Id and name weigh most (A), then tags (B), description (C) and readme (D). */
export const SEARCH_VECTOR = [
  `setweight(to_tsvector('simple'::regconfig, (package_id || ' ' || name)), 'A')`,
  `setweight(to_tsvector('english'::regconfig, array_to_tsvector(tags)::text), 'B')`,
  `setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')`,
  `setweight(to_tsvector('english'::regconfig, coalesce(readme, '')), 'D')`,
].join(' || ');
