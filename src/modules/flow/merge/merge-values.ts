import type { Findings } from './findings';
import { escapeToken } from '../json-pointer';
import { copyOf, isJsonObject, isScalar, jsonEqual, memberOf, objectOf, type JsonObject } from './json-values';

/**
 * Rules 1 to 3 of docs/FLOW-FORMAT.md, "Upgrading a copy: the three-way merge", for one value at
 * `path` as base, ours and theirs hold it (`undefined` where absent). Returns the merged value,
 * `undefined` when it is to be absent.
 *
 * A container goes member by member only when ours and theirs both hold one and base holds the
 * same kind or nothing: an object or array one side deleted is one value, so that deleting it
 * upstream takes it out whole, and an edit inside it locally keeps it whole, as for nodes.
 */
export function mergeValue(base: unknown, ours: unknown, theirs: unknown, path: string, findings: Findings): unknown {
  if (isJsonObject(ours) && isJsonObject(theirs) && (base === undefined || isJsonObject(base))) return mergeObjects(base ?? {}, ours, theirs, path, findings);
  if (Array.isArray(ours) && Array.isArray(theirs) && (base === undefined || Array.isArray(base))) {
    const before: unknown[] = base ?? [];
    if (before.every(isScalar) && ours.every(isScalar) && theirs.every(isScalar)) return mergeSets(before, ours, theirs, path, findings);
    if (before.length === ours.length && ours.length === theirs.length)
      return ours.map((item, index) => mergeValue(before[index], item, theirs[index], `${path}/${index}`, findings));
  }
  return mergeLeaf(base, ours, theirs, path, findings);
}

/** Ours' keys in ours' order, then those only theirs has; keys the copy deleted come out absent (or in conflict). */
export function mergeObjects(base: JsonObject, ours: JsonObject, theirs: JsonObject, path: string, findings: Findings): JsonObject {
  const keys = [...Object.keys(ours), ...Object.keys(theirs).filter((key) => !Object.hasOwn(ours, key))];
  const entries: [string, unknown][] = [];
  for (const key of keys) {
    const value = mergeValue(memberOf(base, key), memberOf(ours, key), memberOf(theirs, key), `${path}/${escapeToken(key)}`, findings);
    if (value !== undefined) entries.push([key, value]);
  }
  return objectOf(entries);
}

function mergeLeaf(base: unknown, ours: unknown, theirs: unknown, path: string, findings: Findings): unknown {
  if (jsonEqual(ours, base)) {
    if (!jsonEqual(theirs, base)) findings.changed(path, theirs);
    return copyOf(theirs);
  }
  if (!jsonEqual(theirs, base) && !jsonEqual(ours, theirs)) findings.conflict(path, base, ours, theirs);
  return copyOf(ours);
}

/**
 * Lists of scalars (tags, allowed values, scopes) are sets: each side's additions and removals
 * apply to the other's without conflict, whatever the positions.
 */
function mergeSets(base: unknown[], ours: unknown[], theirs: unknown[], path: string, findings: Findings): unknown[] {
  const [inBase, inTheirs] = [new Set(base), new Set(theirs)];
  const merged = ours.filter((item) => inTheirs.has(item) || !inBase.has(item));
  const present = new Set(merged);
  for (const item of theirs) {
    if (inBase.has(item) || present.has(item)) continue;
    merged.push(item);
    present.add(item);
  }
  if (merged.length !== ours.length || merged.some((item, index) => item !== ours[index])) findings.changed(path, merged);
  return merged;
}
