import { Migration } from '@mikro-orm/migrations';

/** Lexemes of `tenant_search_terms` come from the first this many word positions of a package's text. */
export const TENANT_TERMS_MAX_POSITION = 8192;
/** Tenant ids up to this length (a GUID's 36) go in front of each word as they are; longer ones are hashed. */
export const TENANT_PREFIX_MAX_BYTES = 36;

/**
 * `tenant_search_terms` could pass PostgreSQL's 1 MiB limit of one tsvector: a 256 KiB readme of
 * distinct words holds about 52,000 lexemes, and a GUID tenant puts 37 bytes in front of each
 * (2.1 MB: `string is too long for tsvector`, a masked 500 on a valid publish). Now:
 * - the tenant's words are those of the first 8,192 word positions of the package's text (id and
 *   name, tags, description, then the readme: about 50 KiB of prose); a lexeme's first position
 *   says where it first occurs. At most 8,192 lexemes of at most 1,900 bytes, from at most 256 KiB
 *   of text, and a prefix of at most 37 bytes: under 0.9 MB in the worst case, 0.35 MB measured;
 * - a tenant id longer than a GUID goes in as `#` and its md5 (`#` cannot start a tenant id, so no
 *   hash equals a real tenant). The search still filters by `tenant_id`; the prefix only narrows
 *   the index.
 * `search_vector` (super admins) keeps every word: without the prefix the same text fits (0.64 MB
 * for 256 KiB of distinct words, 1.1 MB stored for hyphenated pairs, which to_tsvector accepts).
 *
 * Expand-then-contract: only the two functions are replaced, under their names and signatures,
 * so the previous build's inserts and searches run unchanged on the new schema. No column is
 * rewritten and no index rebuilt (a table rewrite would hold an ACCESS EXCLUSIVE lock): rows of
 * tenants up to 36 bytes keep their stored words (a superset of the bounded ones, with the same
 * prefix), and only rows of longer tenants, whose prefix changes, are rewritten here, in the
 * migration's transaction (MikroORM runs each migration in one; CREATE INDEX CONCURRENTLY would
 * need `isTransactional() { return false; }`, and is not needed since the GIN index is kept).
 */
export class Migration20261202160000_bounded_search_terms extends Migration {

  override name = 'Migration20261202160000_bounded_search_terms';

  override up(): void | Promise<void> {
    this.addSql(`create function catalog_tenant_prefix(tenant text) returns text language sql immutable parallel safe as $$
      select case when octet_length(tenant) <= ${TENANT_PREFIX_MAX_BYTES} then tenant else '#' || md5(tenant) end
    $$;`);
    this.addSql(`create or replace function catalog_tenant_terms(tenant text, terms tsvector) returns tsvector language sql immutable parallel safe as $$
      select array_to_tsvector(array(
        select catalog_tenant_prefix(tenant) || '/' || t.lexeme from unnest(terms) as t
        where octet_length(t.lexeme) <= 1900 and coalesce(t.positions[1], 1) <= ${TENANT_TERMS_MAX_POSITION}
      ))
    $$;`);
    this.addSql(`create or replace function catalog_tenant_query(tenant text, query tsquery) returns tsquery language sql immutable parallel safe as $$
      select regexp_replace(query::text, '''([^'']*)''', '''' || catalog_tenant_prefix(tenant) || '/\\1''', 'g')::tsquery
    $$;`);
    // Recomputes the stored generated columns of the rows whose prefix changed.
    this.addSql(`update "catalog_package" set "tenant_id" = "tenant_id" where octet_length("tenant_id") > ${TENANT_PREFIX_MAX_BYTES};`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function catalog_tenant_terms(tenant text, terms tsvector) returns tsvector language sql immutable parallel safe as $$
      select array_to_tsvector(array(select tenant || '/' || term from unnest(tsvector_to_array(terms)) as term where octet_length(term) <= 1900))
    $$;`);
    this.addSql(`create or replace function catalog_tenant_query(tenant text, query tsquery) returns tsquery language sql immutable parallel safe as $$
      select regexp_replace(query::text, '''([^'']*)''', '''' || tenant || '/\\1''', 'g')::tsquery
    $$;`);
    this.addSql(`update "catalog_package" set "tenant_id" = "tenant_id" where octet_length("tenant_id") > ${TENANT_PREFIX_MAX_BYTES};`);
    this.addSql(`drop function catalog_tenant_prefix(text);`);
  }

}
