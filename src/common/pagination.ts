import { BadUserInputError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The one cursor type: the sort key (a timestamp) and the id that breaks its ties. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

/** Timestamps PostgreSQL and ISO 8601 both take: a cursor outside them was not made by us. */
const CURSOR_YEARS = { min: 1970, max: 9999 };

/** A canonical UUID (what ids and cursors carry). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque keyset cursor: base64url of the sort key of the last row seen. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.toISOString(), i: cursor.id })).toString('base64url');
}

export function decodeCursor(value: string | null | undefined): Cursor | null {
  if (value == null || value === '') return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 't' in parsed && 'i' in parsed) {
      const { t, i } = parsed as { t: unknown; i: unknown };
      const createdAt = new Date(String(t));
      if (typeof t === 'string' && typeof i === 'string' && UUID.test(i) && inRange(createdAt)) {
        return { createdAt, id: i };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('Invalid cursor', [{ path: '$.after', message: 'is not a cursor returned by this API' }]);
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
export function toConnection<T>(page: { items: T[]; hasNextPage: boolean }, sortKey: (item: T) => Cursor): Connection<T> {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(sortKey(node)), node }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
