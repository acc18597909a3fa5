import { z } from 'zod';

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
  textArray: z.array(z.string()).nullable().transform((value) => value ?? []),
  timestamp: z.union([z.date(), z.string()]).transform(toDate),
  nullableTimestamp: z.union([z.date(), z.string()]).nullable().transform((value) => (value === null ? null : toDate(value))),
  /** `bigint` arrives as a string from node-postgres, as a number from PGlite. */
  integer: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().int()),
  json: z.unknown().transform((value) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>),
};

/**
 * A table's row schema and what comes with it: the column list for `select` (so the columns are
 * written once) and a parser that turns raw rows into typed records.
 */
export function rowMapper<Shape extends z.ZodRawShape, Out>(shape: Shape, toRecord: (row: z.infer<z.ZodObject<Shape>>) => Out) {
  const schema = z.object(shape);
  return {
    columns: (alias: string) => Object.keys(shape).map((name) => `${alias}.${name}`).join(', '),
    parse: (row: unknown): Out => toRecord(schema.parse(row)),
  };
}
