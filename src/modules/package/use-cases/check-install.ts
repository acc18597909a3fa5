import { z } from 'zod';
import type { Caller } from '../../../common/caller';
import { accessFor } from '../../access/scope';
import type { CatalogDeps, TenantOption } from '../catalog';
import { fitEnvironment, isIncompatibility, type InstallProblem, type ProposedBinding, type TargetEnvironment } from '../install-check';
import type { VersionRecord } from '../package.model';
import { assertPackageAndVersionRef, packageNotFound, versionNotFound } from '../package-ref';
import { assertNotQuarantined } from '../quarantine';
import { assertServable } from '../unreleased';
import { channelNotFound, channelOption, STABLE } from '../channels';
import { parseInput, plainText } from '../package.validation';
import { requirementsOf } from '../version-requirements';
import { isInstallable } from '../version-status';

/** The pre-flight's answer: whether the version would run in the environment, and why not. */
export interface InstallCheck {
  packageId: string;
  /** The version checked: the one asked for, else the channel's, else the default version. */
  version: string;
  installable: boolean;
  problems: InstallProblem[];
  bindings: ProposedBinding[];
  /** When the checked version does not fit: the highest installable version that does, if any. */
  newestCompatibleVersion: string | null;
}

/** The most entries of each list an environment may describe. */
const ENVIRONMENT_LIST_MAX = 1_000;
const name = plainText().min(1).max(200);

/** The `environment` of a pre-flight (and of an upgrade preview). */
export const environmentSchema = z.strictObject({
  nodeTypes: z.array(z.strictObject({ type: name, version: plainText().max(64).nullish() })).max(ENVIRONMENT_LIST_MAX),
  credentials: z.array(z.strictObject({ name, kind: name.nullish() })).max(ENVIRONMENT_LIST_MAX),
  runtimeVersion: plainText().max(64).nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});

export interface InstallCheckOptions extends TenantOption {
  version?: string | null;
  channel?: string | null;
  environment: unknown;
}

/**
 * Whether a version would run where it is to be installed, and what is missing: one SQL statement
 * (the package and its versions), nothing written. docs/API.md, "Pre-flight".
 */
export async function checkInstall(deps: CatalogDeps, caller: Caller, packageId: string, options: InstallCheckOptions): Promise<InstallCheck> {
  const access = accessFor(caller);
  access.assert('package:checkInstall');
  const tenantId = access.actingTenant(options.tenantId);
  const environment = toEnvironment(parseInput(environmentSchema, options.environment, 'Invalid environment'));
  assertPackageAndVersionRef(packageId, options.version);
  const channel = channelOption(options);
  const named = channel !== null && channel !== STABLE ? channel : null;

  const found = await deps.db.run((em) => deps.packages.findForInstallCheck(em, access.rows, { tenantId, packageId }, options.version ?? null, named));
  if (!found) throw packageNotFound(packageId);
  if (named !== null && found.channelVersion === null) throw channelNotFound(packageId, named);
  assertNotQuarantined(access, found.pkg);
  const wanted = options.version ?? found.channelVersion ?? found.pkg.defaultVersion;
  const checked = found.versions.find((version) => version.version === wanted);
  if (!checked) throw options.version ? versionNotFound(packageId, options.version) : packageNotFound(packageId);
  assertServable(access, found.pkg, checked);

  const { problems, bindings } = fitEnvironment(requirementsOf(checked), environment);
  const fits = !problems.some(isIncompatibility);
  return {
    packageId,
    version: checked.version,
    installable: problems.length === 0,
    problems,
    bindings,
    newestCompatibleVersion: fits ? null : newestCompatible(found.versions, checked, environment),
  };
}

/**
 * The highest installable version that would run there (a copy at a release is offered releases
 * only, as update checks do); `versions` come newest first.
 */
function newestCompatible(versions: readonly VersionRecord[], checked: VersionRecord, environment: TargetEnvironment): string | null {
  const offered = versions.filter((version) => isInstallable(version.status) && (isPrerelease(checked) || !isPrerelease(version)));
  const compatible = offered.find((version) => !fitEnvironment(requirementsOf(version), environment).problems.some(isIncompatibility));
  return compatible?.version ?? null;
}

/** A release's sort key ends in `~` (version-sort-key.ts). */
function isPrerelease(version: VersionRecord): boolean {
  return !version.versionSort.endsWith('~');
}

export function toEnvironment(input: z.infer<typeof environmentSchema>): TargetEnvironment {
  return {
    nodeTypes: input.nodeTypes.map((node) => ({ type: node.type, version: node.version ?? null })),
    credentials: input.credentials.map((credential) => ({ name: credential.name, kind: credential.kind ?? null })),
    runtimeVersion: input.runtimeVersion ?? null,
    parameters: input.parameters ?? null,
  };
}
