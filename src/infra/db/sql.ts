/**
 * MikroORM's raw `execute` expands JS arrays into `?, ?` lists, so arrays travel as PostgreSQL
 * array literals and are cast with `?::text[]` in the SQL. Every element is quoted and escaped.
 */
export function toPgTextArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** PGlite returns timestamps as text, node-postgres as Date: accept both. */
export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}
