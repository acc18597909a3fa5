/**
 * JSON helpers for the three-way merge. `undefined` stands for "absent" throughout: JSON has no
 * such value, so it cannot be mistaken for one the flow holds.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Own members only: a key named `constructor` or `__proto__` must not find Object's. */
export function memberOf(container: JsonObject, key: string): unknown {
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

/** Deep JSON equality: key order does not count, and a key holding `undefined` is no key (as in `JSON.stringify`). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const keys = presentKeys(a);
  return keys.length === presentKeys(b).length && keys.every((key) => jsonEqual(a[key], memberOf(b, key)));
}

function presentKeys(value: JsonObject): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

/** What goes into a result never shares an object with the inputs, which callers may keep and change. */
export function copyOf<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** An object built from entries keeps a `__proto__` key as data, where `object[key] = value` would not. */
export function objectOf(entries: Iterable<readonly [string, unknown]>): JsonObject {
  return Object.fromEntries(entries);
}
