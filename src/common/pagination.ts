import { BadUserInputError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * The one cursor type: the sort key of the last row seen (a timestamp, a name, a count or a rank)
 * and the id that breaks its ties.
 */
export interface Cursor {
  key: Date | string | number;
  id: string;
}

/** Timestamps PostgreSQL and ISO 8601 both take: a cursor outside them was not made by us. */
const CURSOR_YEARS = { min: 1970, max: 9999 };

/** A canonical UUID (what ids and cursors carry). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Opaque keyset cursor: base64url of the sort key of the last row seen. `scope` names the order
 * and filter the page came from (a hash): a cursor is only accepted back with the same scope.
 */
export function encodeCursor(cursor: Cursor, scope = ''): string {
  const { key } = cursor;
  const [type, value] = key instanceof Date ? ['d', key.toISOString()] : typeof key === 'number' ? ['n', key] : ['s', key];
  return Buffer.from(JSON.stringify({ k: value, t: type, i: cursor.id, ...(scope ? { s: scope } : {}) })).toString('base64url');
}

export function decodeCursor(value: string | null | undefined, scope = ''): Cursor | null {
  if (value == null || value === '') return null;
  const cursor = parseCursor(value);
  if (!cursor) throw new BadUserInputError('Invalid cursor', [{ path: '$.after', message: 'is not a cursor returned by this API' }]);
  if (cursor.scope !== scope) {
    throw new BadUserInputError('Cursor from another filter or order', [{ path: '$.after', message: 'was returned for another filter or order' }]);
  }
  return { key: cursor.key, id: cursor.id };
}

function parseCursor(value: string): (Cursor & { scope: string }) | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!parsed || typeof parsed !== 'object') return null;
    const { k, t, i, s = '' } = parsed as Record<string, unknown>;
    if (typeof i !== 'string' || !UUID.test(i) || typeof s !== 'string') return null;
    const key = parseKey(t, k);
    return key === null ? null : { key, id: i, scope: s };
  } catch {
    return null;
  }
}

function parseKey(type: unknown, value: unknown): Cursor['key'] | null {
  if (type === 'd' && typeof value === 'string') {
    const date = new Date(value);
    return inRange(date) ? date : null;
  }
  if (type === 'n' && typeof value === 'number' && Number.isFinite(value)) return value;
  // PostgreSQL text cannot hold NUL: such a key was not made by us and must not reach SQL.
  if (type === 's' && typeof value === 'string' && !value.includes('\u0000')) return value;
  return null;
}

function inRange(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= CURSOR_YEARS.min && year <= CURSOR_YEARS.max;
}

export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, [
      { path: '$.first', message: `must be an integer between 1 and ${MAX_PAGE_SIZE}` },
    ]);
  }
  return first;
}

/** One page of rows, as repositories return it. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A page of rows as a GraphQL-style connection, each edge's cursor taken from its sort key. */
export function toConnection<T>(page: { items: T[]; hasNextPage: boolean }, sortKey: (item: T) => Cursor, scope = ''): Connection<T> {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(sortKey(node), scope), node }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
