import { createHash } from 'node:crypto';
import { resolveParameterValues, stampFlow, type CredentialBinding } from '../flow/install-values';
import type { Requirements } from '../flow/requirements.types';
import { mergeFlows, type MergeChange, type MergeConflict } from '../flow/three-way-merge';
import { canonicalJson } from './package-archive';

export const UPGRADE_STATES = ['UP_TO_DATE', 'STALE', 'LOCALLY_MODIFIED', 'LOCALLY_MODIFIED_AND_STALE'] as const;
export type UpgradeState = (typeof UPGRADE_STATES)[number];

/** What the copy's install recorded (install metadata): re-applied to both versions before they are compared. */
export interface InstalledValues {
  parameters: Record<string, unknown>;
  credentialBindings: CredentialBinding[];
}

export interface UpgradeMerge {
  state: UpgradeState;
  merged: Record<string, unknown>;
  conflicts: MergeConflict[];
  applied: MergeChange[];
}

/** One side of the merge: a version's flow and what it declares. */
export interface VersionSide {
  sha256: string;
  flow: Readonly<Record<string, unknown>>;
  requirements: Requirements;
}

/**
 * Merges upstream's changes between the copy's version (`from`) and the target (`to`) into the
 * copy (docs/FLOW-FORMAT.md, "Upgrading a copy"). Both versions are first made what install would
 * have given this copy: its recorded parameter values and credential bindings stamped in, and the
 * copy's own id and name, so that only real edits count as local ones.
 */
export function mergeUpgrade(from: VersionSide, to: VersionSide, copy: Record<string, unknown>, values: InstalledValues, stale: boolean): UpgradeMerge {
  const result = mergeFlows(asInstalled(from, copy, values), copy, asInstalled(to, copy, values));
  const modified = result.locallyModified;
  const state: UpgradeState = modified && stale ? 'LOCALLY_MODIFIED_AND_STALE' : modified ? 'LOCALLY_MODIFIED' : stale ? 'STALE' : 'UP_TO_DATE';
  return { state, merged: result.merged, conflicts: result.conflicts, applied: result.applied };
}

function asInstalled(side: VersionSide, copy: Record<string, unknown>, values: InstalledValues): Record<string, unknown> {
  const declared = new Set(side.requirements.parameters.map((parameter) => parameter.name));
  // Values of parameters this version does not declare are not its to use; what it declares anew gets its default.
  const given = Object.fromEntries(Object.entries(values.parameters).filter(([name]) => declared.has(name)));
  const stamped = stampFlow({ ...side.flow }, resolveParameterValues(side.requirements.parameters, given).values, values.credentialBindings);
  const { id: _id, name: _name, ...rest } = stamped;
  return { ...rest, ...pick(copy, 'id'), ...pick(copy, 'name') };
}

function pick(source: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.hasOwn(source, key) ? { [key]: source[key] } : {};
}

/** The merge is a pure function of the two archives, the copy and its values: this key names it. */
export function upgradeMergeKey(from: VersionSide, to: VersionSide, copy: Record<string, unknown>, values: InstalledValues, stale: boolean): string {
  const local = createHash('sha256').update(canonicalJson({ copy, values })).digest('hex');
  return `${from.sha256}:${to.sha256}:${local}:${stale}`;
}

/** Recent merges by key, least recently used first out: a bulk preview of many identical copies merges once. */
export class UpgradeMergeCache {
  private readonly entries = new Map<string, UpgradeMerge>();

  constructor(private readonly maxEntries: number) {}

  getOrMerge(key: string, merge: () => UpgradeMerge): UpgradeMerge {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const fresh = merge();
    this.entries.set(key, fresh);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return fresh;
  }
}
