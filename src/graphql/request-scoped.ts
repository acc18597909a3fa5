/**
 * Values made on first use and kept for the rest of one GraphQL request, keyed by its context
 * object (which lives exactly as long as the operation): the batch boundary for DataLoaders that
 * a feature module adds without touching the context factory in `app.ts`.
 */
const valuesByContext = new WeakMap<object, Map<string, unknown>>();

export function requestScoped<T>(ctx: object, name: string, create: () => T): T {
  let values = valuesByContext.get(ctx);
  if (!values) {
    values = new Map();
    valuesByContext.set(ctx, values);
  }
  if (!values.has(name)) values.set(name, create());
  return values.get(name) as T;
}
