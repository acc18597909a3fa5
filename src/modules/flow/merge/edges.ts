import { escapeToken } from '../json-pointer';
import { isJsonObject, memberOf, type JsonObject } from './json-values';
import type { KeysOf } from './matching';

/**
 * Edge identities for the merge. An edge with a non-empty string id is that id; one without is
 * its ends, (source, sourceHandle, target, targetHandle) with an absent handle the same as null.
 * Several edges of one identity in a flow (parallel edges without ids) are matched in order of
 * appearance: the second is `#1`, the third `#2`.
 *
 * Keys are JSON arrays, so that no id can be mistaken for a tuple; labels are what paths show:
 * the id as it is, or `source:sourceHandle>target:targetHandle` with `:handle` left out for no
 * handle and `\`, `:`, `>` and `#` inside a part written `\\`, `\:`, `\>` and `\#`.
 */
export class EdgeIdentities {
  private readonly labels = new Map<string, string>();

  readonly keysOf: KeysOf = (items) => {
    const occurrences = new Map<string, number>();
    return items.map((item) => {
      if (!isJsonObject(item)) return undefined;
      const [identity, label] = identityOf(item);
      const occurrence = occurrences.get(identity) ?? 0;
      occurrences.set(identity, occurrence + 1);
      const key = JSON.stringify([identity, occurrence]);
      this.labels.set(key, occurrence === 0 ? label : `${label}#${occurrence}`);
      return key;
    });
  };

  /** The edge's pointer in the flow, under which its own findings go: `/edges/<label>`, the label escaped as RFC 6901 says. */
  pathOf(key: string): string {
    return `/edges/${escapeToken(this.labels.get(key)!)}`;
  }
}

function identityOf(edge: JsonObject): [string, string] {
  const id = memberOf(edge, 'id');
  if (typeof id === 'string' && id !== '') return [JSON.stringify(['id', id]), id];
  const [source, sourceHandle, target, targetHandle] = ['source', 'sourceHandle', 'target', 'targetHandle'].map((field) => memberOf(edge, field) ?? null);
  const label = `${part(source)}${handle(sourceHandle)}>${part(target)}${handle(targetHandle)}`;
  return [JSON.stringify(['ends', source, sourceHandle, target, targetHandle]), label];
}

function part(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\\:>#]/g, (character) => `\\${character}`);
}

function handle(value: unknown): string {
  return value === null ? '' : `:${part(value)}`;
}

/** The first end (source, then target) naming a node `exists` says is not there. */
export function missingEnd(edge: JsonObject, exists: (nodeId: string) => boolean): string | undefined {
  for (const field of ['source', 'target']) {
    const end = memberOf(edge, field);
    if (typeof end === 'string' && !exists(end)) return end;
  }
  return undefined;
}

export function endsOf(edge: JsonObject): string[] {
  return ['source', 'target'].map((field) => memberOf(edge, field)).filter((end): end is string => typeof end === 'string');
}
