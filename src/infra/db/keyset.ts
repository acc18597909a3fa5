import { BadUserInputError } from '../../common/errors';
import type { Cursor, Page } from '../../common/pagination';
import { sql, type SqlFragment, type SqlValue } from './sql';

/** How a list is sorted: the key's SQL type (for the cursor's cast) and the direction of both columns. */
export interface KeysetOrder {
  keyType: 'timestamptz' | 'text' | 'bigint' | 'float8';
  direction: 'asc' | 'desc';
}

const NEWEST_FIRST: KeysetOrder = { keyType: 'timestamptz', direction: 'desc' };

/**
 * Keyset pagination: rows strictly after the cursor in `(key, id)` order, both columns in the same
 * direction so that one row comparison (and one index) serves every page. Append it to the
 * `where` clause (it starts with `and`; empty without a cursor).
 */
export function keysetAfter(after: Cursor | null, keyColumn: string, idColumn: string, order: KeysetOrder = NEWEST_FIRST): SqlFragment {
  if (!after) return sql.empty;
  const operator = sql.raw(order.direction === 'desc' ? '<' : '>');
  return sql`and (${sql.raw(keyColumn)}, ${sql.raw(idColumn)}) ${operator} (${keyParam(after.key, order)}::${sql.raw(order.keyType)}, ${after.id}::uuid)`;
}

/** The cursor's key as a parameter of the key's type: a key of another type was not made for this list. */
function keyParam(key: Cursor['key'], order: KeysetOrder): SqlValue {
  if (!keyFits(key, order.keyType)) throw new BadUserInputError('Invalid cursor', [{ path: '$.after', message: 'is not a cursor returned by this API' }]);
  return key instanceof Date ? key.toISOString() : key;
}

function keyFits(key: Cursor['key'], type: KeysetOrder['keyType']): boolean {
  if (type === 'timestamptz') return key instanceof Date;
  if (type === 'text') return typeof key === 'string';
  // A count past 2^53 or with a fraction would fail PostgreSQL's bigint cast: not a cursor of ours.
  if (type === 'bigint') return Number.isSafeInteger(key);
  return typeof key === 'number';
}

/** Queries fetch `limit + 1` rows: the extra one only says whether there is a next page. */
export function toPage<T>(rows: readonly unknown[], limit: number, parse: (row: unknown) => T): Page<T> {
  return { items: rows.slice(0, limit).map(parse), hasNextPage: rows.length > limit };
}
