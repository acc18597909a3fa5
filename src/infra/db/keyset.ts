import type { Cursor, Page } from '../../common/pagination';

/**
 * Keyset pagination, newest first: rows strictly after the cursor in `(time desc, id desc)`
 * order, the same index serving every page. Append `sql` to the `where` clause.
 */
export function keysetAfter(after: Cursor | null, timeColumn: string, idColumn: string): { sql: string; params: unknown[] } {
  if (!after) return { sql: '', params: [] };
  return { sql: `and (${timeColumn}, ${idColumn}) < (?::timestamptz, ?::uuid)`, params: [after.createdAt.toISOString(), after.id] };
}

/** Queries fetch `limit + 1` rows: the extra one only says whether there is a next page. */
export function toPage<T>(rows: readonly unknown[], limit: number, parse: (row: unknown) => T): Page<T> {
  return { items: rows.slice(0, limit).map(parse), hasNextPage: rows.length > limit };
}
