import type { MergeChangeKind } from '../three-way-merge';
import type { Findings } from './findings';
import { copyOf, isJsonObject, jsonEqual, memberOf, type JsonObject } from './json-values';
import { mergeObjects } from './merge-values';

/** One node or edge identity and what each side holds under it. */
export interface Matched {
  key: string;
  base?: JsonObject;
  ours?: JsonObject;
  theirs?: JsonObject;
}

/** The identity of each item of a list, `undefined` for an item that has none (kept as it is when ours', else ignored). */
export type KeysOf = (items: readonly unknown[]) => (string | undefined)[];

export interface Matching {
  /** Ours' identities in ours' order, then theirs' others in theirs' order, then base's others. */
  matched: Matched[];
  ours: { items: readonly unknown[]; keys: (string | undefined)[] };
  theirs: { items: readonly unknown[]; keys: (string | undefined)[] };
}

export function matchItems(base: readonly unknown[], ours: readonly unknown[], theirs: readonly unknown[], keysOf: KeysOf): Matching {
  const byKey = new Map<string, Matched>();
  const sides = [
    ['ours', ours],
    ['theirs', theirs],
    ['base', base],
  ] as const;
  const keys = sides.map(([side, items]) => {
    const itemKeys = keysOf(items);
    itemKeys.forEach((key, index) => {
      if (key === undefined) return;
      const matched = byKey.get(key) ?? { key };
      matched[side] = items[index] as JsonObject;
      byKey.set(key, matched);
    });
    return itemKeys;
  });
  return { matched: [...byKey.values()], ours: { items: ours, keys: keys[0]! }, theirs: { items: theirs, keys: keys[1]! } };
}

export interface PresenceKinds {
  added: MergeChangeKind;
  removed: MergeChangeKind;
}

/**
 * Rule 4 of docs/FLOW-FORMAT.md ("Upgrading a copy"), for nodes and edges alike: which side's item
 * survives, or the three merged as one object. Returns the merged item, `undefined` for none.
 */
export function mergeMatched({ base, ours, theirs }: Matched, path: string, findings: Findings, kinds: PresenceKinds): JsonObject | undefined {
  if (ours && theirs) {
    if (base) return mergeObjects(base, ours, theirs, path, findings);
    if (!jsonEqual(ours, theirs)) findings.conflict(path, undefined, ours, theirs, 'ADDED_BOTH_DIFFERENTLY');
    return copyOf(ours);
  }
  if (ours) {
    if (!base) return copyOf(ours);
    if (!jsonEqual(ours, base)) {
      findings.conflict(path, base, ours, undefined, 'CHANGED_LOCALLY_DELETED_UPSTREAM');
      return copyOf(ours);
    }
    findings.changed(path, undefined, kinds.removed);
    return undefined;
  }
  if (theirs && !base) {
    findings.changed(path, theirs, kinds.added);
    return copyOf(theirs);
  }
  if (theirs && base && !jsonEqual(theirs, base)) findings.conflict(path, base, undefined, theirs, 'DELETED_LOCALLY_CHANGED_UPSTREAM');
  return undefined;
}

/**
 * The merged list: ours' items in ours' order (those without an identity copied as they are),
 * then those only theirs has, in theirs' order.
 */
export function assemble(matching: Matching, mergedOf: (key: string) => unknown): unknown[] {
  const merged: unknown[] = [];
  matching.ours.keys.forEach((key, index) => {
    const item = key === undefined ? copyOf(matching.ours.items[index]) : mergedOf(key);
    if (item !== undefined) merged.push(item);
  });
  const inOurs = new Set(matching.ours.keys);
  for (const key of new Set(matching.theirs.keys)) {
    if (key === undefined || inOurs.has(key)) continue;
    const item = mergedOf(key);
    if (item !== undefined) merged.push(item);
  }
  return merged;
}

export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Nodes by id; a node without a string id, or repeating one, has no identity (a compiled flow has neither). */
export const nodeKeys: KeysOf = (items) => {
  const seen = new Set<string>();
  return items.map((item) => {
    const id = isJsonObject(item) ? memberOf(item, 'id') : undefined;
    if (typeof id !== 'string' || seen.has(id)) return undefined;
    seen.add(id);
    return id;
  });
};
