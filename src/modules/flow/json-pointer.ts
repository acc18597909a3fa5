/** JSON pointers (RFC 6901), as the diff and the merge locate values in a flow. */

/** `~` is written `~0` and `/` is written `~1`. */
export function escapeToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function unescapeToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

/**
 * Document order: token by token, a parent before its children. Within one parent, as
 * `Object.keys` lists an object: decimal tokens (array indices) first, numerically, then the
 * other keys by UTF-16 code unit.
 */
export function comparePointers(a: string, b: string): number {
  const left = a.split('/').map(unescapeToken);
  const right = b.split('/').map(unescapeToken);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareTokens(left[i]!, right[i]!);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

function compareTokens(x: string, y: string): number {
  const [xIndex, yIndex] = [/^\d+$/.test(x), /^\d+$/.test(y)];
  if (xIndex !== yIndex) return xIndex ? -1 : 1;
  if (xIndex && x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
