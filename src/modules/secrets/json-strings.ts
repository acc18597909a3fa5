/** One string found in a JSON value: a string value, or an object key (then `key` is absent). */
export interface StringAt {
  /** RFC 6901 pointer to the value, or to the member whose name this is. */
  pointer: string;
  text: string;
  /** The property name the value sits under (inherited through arrays), for key-based rules. */
  key?: string;
  /** For an object key: its position among the object's keys (a finding names it `#key<index>`, never by itself). */
  keyIndex?: number;
  /** For a value: the string value right after it in the same array or object, if there is one
   * (a credential split in two is whole again when they are joined). */
  next?: { pointer: string; text: string };
}

/** RFC 6901: `~` becomes `~0`, `/` becomes `~1`. */
export function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

// Header lists are often `[{ "name": "Authorization", "value": "Bearer …" }]` (n8n, Postman):
// the value then sits under the name given beside it.
const PAIR_NAME_FIELDS = ['name', 'key', 'header'];

function pairName(object: Record<string, unknown>): string | undefined {
  if (typeof object.value !== 'string') return undefined;
  for (const field of PAIR_NAME_FIELDS) if (typeof object[field] === 'string') return object[field];
  return undefined;
}

interface Pending {
  value: unknown;
  pointer: string;
  key: string | undefined;
  next?: StringAt['next'];
}

/**
 * Every string in `root` with its pointer, without serialising it. Iterative, so no depth can
 * overflow the stack; a value met twice (shared or cyclic, which JSON never has) is walked once.
 */
export function collectStrings(root: unknown, rootPointer = ''): StringAt[] {
  const found: StringAt[] = [];
  const seen = new Set<object>();
  const stack: Pending[] = [{ value: root, pointer: rootPointer, key: undefined }];
  while (stack.length > 0) {
    const { value, pointer, key, next } = stack.pop()!;
    if (typeof value === 'string') {
      found.push({ pointer, text: value, key, ...(next && { next }) });
      continue;
    }
    if (value === null || typeof value !== 'object' || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        stack.push({ value: item, pointer: `${pointer}/${index}`, key, next: nextString(value, index, (i) => `${pointer}/${i}`) }),
      );
      continue;
    }
    const object = value as Record<string, unknown>;
    const valueKey = pairName(object);
    const names = Object.keys(object);
    const memberPointer = (index: number) => `${pointer}/${pointerSegment(names[index]!)}`;
    const values = names.map((name) => object[name]);
    names.forEach((name, index) => {
      found.push({ pointer: memberPointer(index), text: name, keyIndex: index });
      const memberKey = name === 'value' && valueKey !== undefined ? valueKey : name;
      stack.push({ value: object[name], pointer: memberPointer(index), key: memberKey, next: nextString(values, index, memberPointer) });
    });
  }
  return found;
}

function nextString(siblings: readonly unknown[], index: number, pointerOf: (index: number) => string): StringAt['next'] {
  const next = siblings[index + 1];
  return typeof next === 'string' ? { pointer: pointerOf(index + 1), text: next } : undefined;
}
