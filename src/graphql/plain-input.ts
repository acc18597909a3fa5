/**
 * type-graphql hands input objects over as class instances; use cases validate plain JSON (zod's
 * strict objects and records), so an edge passes them on as that.
 */
export function plainInput(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
