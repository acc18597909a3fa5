/**
 * The words a package is found by, weighted: id and name most (A), then tags (B), description (C)
 * and readme (D). The entity's generated column; the migration that created the column keeps its
 * own frozen copy, and test/migrations.spec.ts checks the two still agree.
 */
export const SEARCH_VECTOR = [
  `setweight(to_tsvector('simple'::regconfig, (package_id || ' ' || name)), 'A')`,
  `setweight(to_tsvector('english'::regconfig, array_to_tsvector(tags)::text), 'B')`,
  `setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')`,
  `setweight(to_tsvector('english'::regconfig, coalesce(readme, '')), 'D')`,
].join(' || ');
