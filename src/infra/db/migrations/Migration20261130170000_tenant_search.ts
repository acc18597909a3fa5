import { Migration } from '@mikro-orm/migrations';
import { SEARCH_VECTOR } from './Migration20261130141500_search';

/**
 * A search in one tenant must not read the whole catalog's matches. The GIN index on
 * `search_vector` holds one posting list per word for every tenant, so a common word costs as much
 * as the catalog is large. `tenant_search_terms` holds the same words with the tenant in front
 * (`acme/invoic`), so its GIN index finds one tenant's matches only, prefix searches included
 * (`acme/zend:*`). btree_gin would give an index on `(tenant_id, search_vector)` but still read
 * every tenant's posting list of a word, and PGlite does not have it.
 *
 * Both functions are immutable (a generated column needs that). Words longer than 1,900 bytes are
 * left out: with the tenant in front they could pass the 2,046-byte limit of a lexeme.
 */
export class Migration20261130170000_tenant_search extends Migration {

  override name = 'Migration20261130170000_tenant_search';

  override up(): void | Promise<void> {
    this.addSql(`create function catalog_tenant_terms(tenant text, terms tsvector) returns tsvector language sql immutable parallel safe as $$
      select array_to_tsvector(array(select tenant || '/' || term from unnest(tsvector_to_array(terms)) as term where octet_length(term) <= 1900))
    $$;`);
    // The words of a search are letters and digits (parsePackageSearch), so every lexeme of the query
    // is a quoted run without quotes inside: the tenant goes in front of each.
    this.addSql(`create function catalog_tenant_query(tenant text, query tsquery) returns tsquery language sql immutable parallel safe as $$
      select regexp_replace(query::text, '''([^'']*)''', '''' || tenant || '/\\1''', 'g')::tsquery
    $$;`);
    this.addSql(`alter table "catalog_package" add "tenant_search_terms" tsvector generated always as (catalog_tenant_terms(tenant_id, ${SEARCH_VECTOR})) stored;`);
    this.addSql(`create index "catalog_package_tenant_search_idx" on "catalog_package" using gin ("tenant_search_terms");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_package" drop column "tenant_search_terms";`);
    this.addSql(`drop function catalog_tenant_query(text, tsquery);`);
    this.addSql(`drop function catalog_tenant_terms(text, tsvector);`);
  }

}
