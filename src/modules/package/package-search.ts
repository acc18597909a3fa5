import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { KeysetOrder } from '../../infra/db/keyset';
import { sql, type SqlFragment } from '../../infra/db/sql';
import { parseInput, plainText, tagsSchema } from './package.validation';

export const PACKAGE_ORDERS = ['NEWEST', 'RECENTLY_UPDATED', 'NAME', 'MOST_INSTALLED', 'RELEVANCE'] as const;
export type PackageOrder = (typeof PACKAGE_ORDERS)[number];

export const SEARCH_LIMITS = { queryMax: 200, wordsMax: 10, nodeTypesMax: 20, nodeTypeMax: 128, authorIdMax: 256 } as const;

/** What a caller asks the list for, as both edges give it. */
export interface PackageFilterInput {
  query?: string | null;
  tags?: readonly string[] | null;
  authorId?: string | null;
  nodeTypes?: readonly string[] | null;
}

/** A parsed, normalised search: what the repository turns into SQL and the cursor scope hashes. */
export interface PackageSearch {
  /** The query's words (letters and digits); null without a query. The last one matches as a prefix. */
  words: string[] | null;
  tags: string[];
  authorId: string | null;
  nodeTypes: string[];
  orderBy: PackageOrder;
}

export const NO_SEARCH: PackageSearch = { words: null, tags: [], authorId: null, nodeTypes: [], orderBy: 'NEWEST' };

const filterSchema = z.strictObject({
  // Control characters (NUL above all, which PostgreSQL refuses in text) are a client's mistake.
  query: plainText().max(SEARCH_LIMITS.queryMax).nullish(),
  tags: tagsSchema.nullish(),
  authorId: plainText().min(1).max(SEARCH_LIMITS.authorIdMax).nullish(),
  nodeTypes: z.array(plainText().min(1).max(SEARCH_LIMITS.nodeTypeMax)).max(SEARCH_LIMITS.nodeTypesMax).nullish(),
  orderBy: z.enum(PACKAGE_ORDERS).nullish(),
});

/**
 * Normalises a filter and order. Without a query the default order is NEWEST, with one RELEVANCE;
 * RELEVANCE without a query has nothing to rank by and is NEWEST.
 */
export function parsePackageSearch(filter: PackageFilterInput | null | undefined, orderBy: PackageOrder | null | undefined): PackageSearch {
  // The plain list, most calls by far: nothing to validate (zod was 4% of a list's CPU).
  if (filter == null && orderBy == null) return NO_SEARCH;
  const input = parseInput(filterSchema, { ...filter, orderBy }, 'Invalid filter');
  const query = input.query?.trim() ? input.query : null;
  const words = query === null ? null : (query.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, SEARCH_LIMITS.wordsMax).map((word) => word.toLowerCase());
  const order = input.orderBy ?? (words ? 'RELEVANCE' : 'NEWEST');
  return {
    words,
    tags: [...new Set(input.tags ?? [])].sort(),
    authorId: input.authorId ?? null,
    nodeTypes: [...new Set(input.nodeTypes ?? [])].sort(),
    orderBy: order === 'RELEVANCE' && !words ? 'NEWEST' : order,
  };
}

/**
 * The cursor scope of a search: a cursor from one filter and order is refused by another. The
 * plain list (no filter, newest first) has the empty scope, as every list had before filters.
 */
export function searchScope(search: PackageSearch): string {
  if (JSON.stringify(search) === JSON.stringify(NO_SEARCH)) return '';
  return createHash('sha256').update(JSON.stringify(search)).digest('base64url').slice(0, 16);
}

/** Each order's sort key (a column of `p`, or `rank`) and its keyset direction. */
export const ORDER_KEYS: Record<PackageOrder, { column: string } & KeysetOrder> = {
  NEWEST: { column: 'p.created_at', keyType: 'timestamptz', direction: 'desc' },
  RECENTLY_UPDATED: { column: 'p.updated_at', keyType: 'timestamptz', direction: 'desc' },
  NAME: { column: 'p.name', keyType: 'text', direction: 'asc' },
  MOST_INSTALLED: { column: 'p.install_count', keyType: 'bigint', direction: 'desc' },
  // float8: the rank's exact value survives the trip through the cursor and back.
  RELEVANCE: { column: 'ts_rank(p.search_vector, s.q)::float8', keyType: 'float8', direction: 'desc' },
};

/**
 * The tsquery of the words: each word stemmed (english) or as written (simple, how ids and names
 * are indexed), the last one also as a prefix of either, all of them required.
 */
export function tsquerySql(words: readonly string[]): SqlFragment {
  if (words.length === 0) return sql`''::tsquery`;
  return sql.join(
    words.map((word, i) => (i === words.length - 1 ? prefixQuery(word) : wordQuery(word))),
    ' && ',
  );
}

function wordQuery(word: string): SqlFragment {
  return sql`(plainto_tsquery('english', ${word}) || plainto_tsquery('simple', ${word}))`;
}

function prefixQuery(word: string): SqlFragment {
  const prefix = `${word}:*`;
  return sql`(to_tsquery('english', ${prefix}) || to_tsquery('simple', ${prefix}))`;
}
