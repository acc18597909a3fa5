import type { Problem } from './errors';

// eslint-disable-next-line no-control-regex -- NUL is the point; no `u` flag, so surrogates are matched as code units
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_MESSAGE = 'holds a NUL character or a lone UTF-16 surrogate, which cannot be stored';

/**
 * Text PostgreSQL refuses (NUL in `text` and `jsonb`, a lone surrogate: not UTF-8) and that no
 * UTF-8 archive or log line can carry either. Valid JSON can hold both (`"\u0000"`, `"\udc00"`).
 */
export function isUnstorable(text: string): boolean {
  return UNSTORABLE.test(text);
}

interface Pending {
  value: unknown;
  /** The JSON path of this value, built only when a problem is found there. */
  path: () => string;
}

/** More would only make the answer bigger: the caller fixes the first ones and asks again. */
const MAX_PROBLEMS = 20;

/**
 * Every string value and object key in `root` (any JSON value) that `isUnstorable`, located by
 * its JSON path from `rootPath` (`$.content.nodes[2].config.x`). Iterative, so no nesting depth
 * can overflow the stack; stops after `MAX_PROBLEMS`.
 */
export function unstorableStrings(root: unknown, rootPath = '$'): Problem[] {
  const problems: Problem[] = [];
  const stack: Pending[] = [{ value: root, path: () => rootPath }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (isUnstorable(value)) problems.push({ path: path(), message: UNSTORABLE_MESSAGE });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], path: () => `${path()}[${i}]` });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i]!;
        // A key that cannot be stored is located by its parent: the path must not repeat it.
        if (isUnstorable(key)) problems.push({ path: `${path()}`, message: `has a member name that ${UNSTORABLE_MESSAGE}` });
        else stack.push({ value: (value as Record<string, unknown>)[key], path: () => `${path()}${memberSegment(key)}` });
      }
    }
  }
  return problems.slice(0, MAX_PROBLEMS);
}

/** `.name` for plain names, `["odd name"]` for the rest, as JSONPath writes them. */
function memberSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
