import { assertServable, isUnreleased, readsUnreleased } from '../unreleased';
import type { Scope } from '../../access/scope';
import { z } from 'zod';
import type { Caller } from '../../../common/caller';
import { BadUserInputError, toProblems } from '../../../common/errors';
import { FlowGraphSchema, MAX_FLOW_BYTES } from '../../flow/flow-graph';
import type { MergeChange, MergeConflict } from '../../flow/three-way-merge';
import { accessFor } from '../../access/scope';
import type { CatalogDeps } from '../catalog';
import { fitEnvironment, type InstallProblem } from '../install-check';
import type { PackageRecord, VersionRecord } from '../package.model';
import { isPackageSlug, packageNotFound, versionNotFound } from '../package-ref';
import { parseInput } from '../package.validation';
import { mergeUpgrade, upgradeMergeKey, type UpgradeState, type VersionSide } from '../upgrade-preview';
import { requirementsOf } from '../version-requirements';
import { compareVersions, parseVersion } from '../versioning';
import { archivedFlow } from '../archived-flow';
import { environmentSchema, toEnvironment } from './check-install';

/** The most copies one `catalogUpgradePreviews` call may preview. */
export const MAX_UPGRADE_PREVIEWS = 100;

export interface UpgradePreview {
  packageId: string;
  fromVersion: string;
  toVersion: string;
  state: UpgradeState;
  merged: Record<string, unknown>;
  conflicts: MergeConflict[];
  applied: MergeChange[];
  /** The target's install-check problems in the environment given; null without one. */
  requirements: InstallProblem[] | null;
  /** Set when the target is deprecated. */
  deprecation: { reason: string | null } | null;
}

const upgradeInputSchema = z.strictObject({
  packageId: z.string(),
  tenantId: z.string().nullish(),
  fromVersion: z.string().refine((value) => parseVersion(value) === value, 'must be a semantic version such as 1.2.3'),
  toVersion: z
    .string()
    .refine((value) => parseVersion(value) === value, 'must be a semantic version such as 1.2.3')
    .nullish(),
  channel: z
    .null({ error: "previews do not follow release channels yet: give the channel's version as toVersion, or nothing for the default version" })
    .optional(),
  copy: FlowGraphSchema.refine((flow) => Buffer.byteLength(JSON.stringify(flow)) <= MAX_FLOW_BYTES, `must be at most ${MAX_FLOW_BYTES} bytes as JSON`),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  credentialBindings: z
    .array(z.strictObject({ slot: z.string(), credential: z.string() }))
    .max(1_000)
    .nullish(),
  environment: environmentSchema.nullish(),
});
type UpgradeInput = z.infer<typeof upgradeInputSchema>;

const upgradeInputsSchema = z.array(upgradeInputSchema).max(MAX_UPGRADE_PREVIEWS, `at most ${MAX_UPGRADE_PREVIEWS} copies per call`);

/** `catalogUpgradePreview`: one copy; a package the caller may not see is NOT_FOUND. */
export async function previewUpgrade(deps: CatalogDeps, caller: Caller, rawInput: unknown): Promise<UpgradePreview> {
  const [preview] = await previewUpgrades(deps, caller, [rawInput]);
  if (!preview) throw packageNotFound(String((rawInput as { packageId?: unknown }).packageId));
  return preview;
}

/**
 * `catalogUpgradePreviews`: for up to 100 copies, in input order, what upgrading each would give
 * (docs/API.md, "Upgrading a copy"). One SQL statement reads every package and version; each
 * archive is read once (and from the verified-archive cache); a package the caller may not see
 * answers null, as in `catalogUpdates`. Nothing is written.
 */
export async function previewUpgrades(deps: CatalogDeps, caller: Caller, rawInputs: unknown): Promise<(UpgradePreview | null)[]> {
  const access = accessFor(caller);
  access.assert('package:previewUpgrade');
  const inputs = parseInput(upgradeInputsSchema, rawInputs, 'Invalid upgrade inputs');
  const keys = inputs.map((input) => ({
    tenantId: input.tenantId ?? caller.tenantId,
    // A package id that is no slug names no package, and never reaches SQL.
    packageId: isPackageSlug(input.packageId) ? input.packageId : '',
    from: input.fromVersion,
    to: input.toVersion ?? null,
  }));
  const found = await deps.db.run((em) => deps.packages.findVersionsForUpgrades(em, access.rows, keys));
  const targets = inputs.map((input, index) => (found[index] ? pickVersions(access, input, found[index]) : null));

  const flows = new Map<string, Promise<Readonly<Record<string, unknown>>>>();
  const flowOf = (version: VersionRecord) => {
    if (!flows.has(version.sha256)) flows.set(version.sha256, archivedFlow(deps, version));
    return flows.get(version.sha256)!;
  };
  return Promise.all(
    targets.map(async (target, index) => {
      if (!target) return null;
      const input = inputs[index]!;
      const [fromFlow, toFlow] = await Promise.all([flowOf(target.from), flowOf(target.to)]);
      const from: VersionSide = { sha256: target.from.sha256, flow: fromFlow, requirements: requirementsOf(target.from) };
      const to: VersionSide = { sha256: target.to.sha256, flow: toFlow, requirements: requirementsOf(target.to) };
      const values = { parameters: input.parameters ?? {}, credentialBindings: input.credentialBindings ?? [] };
      const stale = target.to.id !== target.from.id;
      const copy = input.copy as Record<string, unknown>;
      const merge = deps.upgradeMerges.getOrMerge(upgradeMergeKey(from, to, copy, values, stale), () => mergeUpgrade(from, to, copy, values, stale));
      return {
        packageId: target.pkg.packageId,
        fromVersion: target.from.version,
        toVersion: target.to.version,
        ...merge,
        requirements: input.environment ? fitEnvironment(to.requirements, toEnvironment(input.environment)).problems : null,
        deprecation: target.to.status === 'deprecated' ? { reason: target.to.statusReason } : null,
      };
    }),
  );
}

/** The copy's version and the target, or the error that refuses the whole call. */
function pickVersions(access: Scope, input: UpgradeInput, found: { pkg: PackageRecord; versions: VersionRecord[] }) {
  const { pkg } = found;
  // Unreleased versions do not exist for callers who may not know of them.
  const versions = readsUnreleased(access, pkg) ? found.versions : found.versions.filter((version) => !isUnreleased(version.status));
  const from = versions.find((version) => version.version === input.fromVersion);
  if (!from) throw versionNotFound(pkg.packageId, input.fromVersion);
  const wanted = input.toVersion ?? pkg.defaultVersion;
  const to = versions.find((version) => version.version === wanted);
  if (!to) throw wanted ? versionNotFound(pkg.packageId, wanted) : packageNotFound(pkg.packageId);
  assertServable(access, pkg, to);
  if (compareVersions(to.version, from.version) < 0) {
    throw new BadUserInputError(
      `The target ${to.version} is below the copy's version ${from.version}`,
      toProblems([{ path: ['toVersion'], message: 'is below fromVersion' }]),
    );
  }
  return { pkg, from, to };
}
