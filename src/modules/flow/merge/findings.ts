import type { MergeChange, MergeChangeKind, MergeConflict, MergeConflictKind } from '../three-way-merge';
import { comparePointers } from '../json-pointer';
import { copyOf } from './json-values';

/**
 * What merging one node, one edge or the flow's own fields found. Kept apart per node and edge so
 * that a finding made about the whole item (an edge left out, a node kept) can replace those made
 * inside it, and so that the result lists them item by item.
 */
export class Findings {
  readonly conflicts: MergeConflict[] = [];
  readonly applied: MergeChange[] = [];

  constructor(private readonly nodeId: string | null) {}

  changed(path: string, value: unknown, kind: MergeChangeKind = 'VALUE_CHANGED'): void {
    this.applied.push({ kind, nodeId: this.nodeId, path, value: copyOf(value) });
  }

  conflict(path: string, base: unknown, ours: unknown, theirs: unknown, kind: MergeConflictKind = 'BOTH_CHANGED', nodeId = this.nodeId): void {
    this.conflicts.push({ kind, nodeId, path, base: copyOf(base), ours: copyOf(ours), theirs: copyOf(theirs) });
  }
}

/** Every item's findings in the order given, each item's own in document order of their paths. */
export function collect(all: readonly Findings[]): { conflicts: MergeConflict[]; applied: MergeChange[] } {
  const byPath = (a: { path: string }, b: { path: string }) => comparePointers(a.path, b.path);
  return {
    conflicts: all.flatMap((findings) => [...findings.conflicts].sort(byPath)),
    applied: all.flatMap((findings) => [...findings.applied].sort(byPath)),
  };
}
