import type { AnyEntity, EntityData, QueryResult } from '@mikro-orm/core';
import { z } from 'zod';
import type { Em } from './database';

/**
 * MikroORM's raw `execute` expands JS arrays into `?, ?` lists, so arrays travel as PostgreSQL
 * array literals and are cast with `?::text[]` in the SQL. Every element is quoted and escaped.
 */
export function toPgTextArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** A piece of SQL with its `?` parameters, for a statement built from several parts. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/**
 * One value a statement carries as a parameter. Arrays are not values: MikroORM would expand
 * them into a `?, ?` list, so they travel with `sql.textArray` and its kin.
 */
export type SqlValue = string | number | bigint | boolean | Date | null;

/** What `sql` takes between its pieces of text: a value (a parameter) or a fragment (inlined). */
export type SqlPart = SqlValue | SqlFragment;

/**
 * SQL with its values in place: sql`select ... where p.id = ${id} and ${visible}`. A value
 * becomes a `?` and its parameter, in order; a fragment is inlined with its parameters.
 *
 * The `?` is MikroORM's: it formats every `?` of the text as the next parameter, `??` as an
 * identifier and `\?` as a literal `?`. So no text given here (the template's, `sql.raw`'s, a
 * separator) may hold a `?`, which throws: a `?` in a string literal or comment, or a jsonb
 * operator (`?`, `?|`, `?&`), would take a parameter. Pass such strings as values, and write the
 * operators as functions (`jsonb_exists`, `jsonb_exists_any`, `jsonb_exists_all`). Where a
 * parameter would follow a `?` or a `\`, a space is put between them, so every `?` of a built
 * fragment stands for one parameter. A fragment built by hand is checked for that when inlined.
 */
export const sql = Object.assign(template, {
  /** Trusted text as it is: identifiers, column lists, keywords. Never input. */
  raw: (text: string): SqlFragment => fragment(checkedText(text), []),
  /** The parts one after another with the trusted `separator` between them. */
  join: (parts: readonly SqlPart[], separator: string): SqlFragment => {
    const between = sql.raw(separator);
    return concat(parts.flatMap((part, i) => (i === 0 ? [toFragment(part)] : [between, toFragment(part)])));
  },
  /** No SQL at all: for a clause that is left out. */
  empty: fragment('', []),
  /** A `text[]` parameter (`?::text[]`). */
  textArray: (values: readonly string[]): SqlFragment => arrayParameter(values, 'text'),
  /** A `uuid[]` parameter (`?::uuid[]`). */
  uuidArray: (values: readonly string[]): SqlFragment => arrayParameter(values, 'uuid'),
  /** An `int[]` parameter (`?::int[]`). */
  intArray: (values: readonly number[]): SqlFragment => arrayParameter(values.map(String), 'int'),
});

function template(texts: TemplateStringsArray, ...parts: SqlPart[]): SqlFragment {
  return concat(texts.flatMap((text, i) => (i < parts.length ? [sql.raw(text), toFragment(parts[i])] : [sql.raw(text)])));
}

function arrayParameter(values: readonly string[], elementType: 'text' | 'uuid' | 'int'): SqlFragment {
  return fragment(`?::${elementType}[]`, [toPgTextArray(values)]);
}

function toFragment(part: SqlPart): SqlFragment {
  return isSqlFragment(part) ? checkedFragment(part) : fragment('?', [checkedValue(part)]);
}

function isSqlFragment(part: unknown): part is SqlFragment {
  return typeof part === 'object' && part !== null && typeof (part as SqlFragment).sql === 'string' && Array.isArray((part as SqlFragment).params);
}

/** The types forbid anything else; this catches what reaches here through `any` or a cast. */
function checkedValue(value: unknown): SqlValue {
  if (value === null || value instanceof Date || ['string', 'number', 'bigint', 'boolean'].includes(typeof value)) return value as SqlValue;
  if (Array.isArray(value))
    throw new TypeError('An array is not a SQL value (MikroORM would expand it into a list): use sql.textArray, sql.uuidArray or sql.intArray');
  throw new TypeError(`Not a SQL value: ${typeof value}`);
}

function checkedText(text: string): string {
  if (text.includes('?')) throw new Error(`SQL text may not hold a "?" (MikroORM would take it for a parameter): ${text}`);
  return text;
}

function checkedFragment(part: SqlFragment): SqlFragment {
  const placeholders = part.sql.split('?').length - 1;
  if (placeholders !== part.params.length || /\?\?|\\\?/.test(part.sql)) {
    throw new Error(`A SQL fragment needs one "?" per parameter, and no "??" or "\\?": ${part.sql}`);
  }
  return part;
}

function concat(fragments: readonly SqlFragment[]): SqlFragment {
  let text = '';
  const params: unknown[] = [];
  for (const next of fragments) {
    text = wouldMisread(text, next.sql) ? `${text} ${next.sql}` : text + next.sql;
    params.push(...next.params);
  }
  return fragment(text, params);
}

/** A `?` right after a `?` or a `\` would read as `??` (an identifier) or `\?` (a literal `?`). */
function wouldMisread(text: string, next: string): boolean {
  return next.startsWith('?') && (text.endsWith('?') || text.endsWith('\\'));
}

/** Frozen: a fragment is shared (`sql.empty`, a policy's condition), so nobody may add to it. */
function fragment(text: string, params: unknown[]): SqlFragment {
  Object.freeze(params);
  return Object.freeze({ sql: text, params });
}

/** The result types `em.execute<T>` takes. */
type ExecuteResult = QueryResult | EntityData<AnyEntity> | EntityData<AnyEntity>[];

/** Runs a statement built with `sql` on `em` (in its transaction, when it has one). */
export function execute<T extends ExecuteResult = EntityData<AnyEntity>[]>(em: Em, statement: SqlFragment): Promise<T> {
  return em.execute<T>(statement.sql, statement.params);
}

/**
 * The rows of `catalog_package` one caller may read, as the policy states them (a scope's
 * `rows`): the condition on the table under `alias`, and the one tenant they all belong to (null
 * when they may span tenants). Repositories put it into their SQL; they never decide it.
 */
export interface VisibleRows {
  where(alias?: string): SqlFragment;
  tenant: string | null;
}

/** PGlite returns timestamps as text, node-postgres as Date: accept both. */
export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** Column types as PGlite and node-postgres hand them over, parsed at the boundary with zod. */
export const column = {
  text: z.string(),
  nullableText: z.string().nullable(),
  textArray: z
    .array(z.string())
    .nullable()
    .transform((value) => value ?? []),
  timestamp: z.union([z.date(), z.string()]).transform(toDate),
  nullableTimestamp: z
    .union([z.date(), z.string()])
    .nullable()
    .transform((value) => (value === null ? null : toDate(value))),
  /** `bigint` arrives as a string from node-postgres, as a number from PGlite. */
  integer: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().int()),
  boolean: z.boolean(),
  json: z.unknown().transform((value) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>),
  nullableJson: z.unknown().transform((value) => (value == null ? null : ((typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>))),
};

/**
 * A table's row schema and what comes with it: the column list for `select` (so the columns are
 * written once) and a parser that turns raw rows into typed records.
 */
export function rowMapper<Shape extends z.ZodRawShape, Out>(shape: Shape, toRecord: (row: z.infer<z.ZodObject<Shape>>) => Out) {
  const schema = z.object(shape);
  return {
    columns: (alias: string) =>
      Object.keys(shape)
        .map((name) => `${alias}.${name}`)
        .join(', '),
    parse: (row: unknown): Out => toRecord(schema.parse(row)),
  };
}
