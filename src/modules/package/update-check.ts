import { isTenantId } from '../../common/caller';
import { BadUserInputError, type Problem } from '../../common/errors';
import { defaultVersion, isPrerelease } from './default-version';
import { isInstallable, type VersionStatus } from './version-status';
import { compareVersions, parseVersion } from './versioning';

/** Most installed copies one `catalogUpdates` call may ask about. */
export const MAX_UPDATE_INPUTS = 500;

export interface InstalledCopy {
  packageId: string;
  installedVersion: string;
}

export interface UpdateAnswer<V> extends InstalledCopy {
  latestVersion: string | null;
  updateAvailable: boolean;
  installedStatus: VersionStatus | null;
  newerVersions: V[];
  /** Whether the package is quarantined (installs refused); false for unknown and invisible packages. */
  quarantined: boolean;
  /** Why, for the package's admins only. */
  quarantineReason: string | null;
}

/**
 * The answer for one installed copy, from the versions of its package the caller may see (`null`
 * when the package is unknown or invisible: both answer alike, so nothing leaks).
 * - A copy installed at a release is offered releases only; one installed at a prerelease has
 *   opted into prereleases and is offered every newer version. Withdrawn versions never.
 * - `newerVersions`: those versions above the installed one, newest first.
 * - `latestVersion`: the package's default version (as `CatalogPackage.version`), or for a copy
 *   at a prerelease the highest installable version; null when nothing is installable.
 * - `installedStatus`: the installed version's status, null when that version does not exist.
 */
export function shapeUpdate<V extends { version: string; status: VersionStatus }>(
  input: InstalledCopy,
  rows: readonly V[] | null,
): Omit<UpdateAnswer<V>, 'quarantined' | 'quarantineReason'> {
  const { packageId, installedVersion } = input;
  const versions = rows ?? [];
  const followsPrereleases = isPrerelease(installedVersion);
  const offered = versions
    .filter((row) => isInstallable(row.status) && (followsPrereleases || !isPrerelease(row.version)))
    .sort((a, b) => compareVersions(b.version, a.version));
  const newerVersions = offered.filter((row) => compareVersions(row.version, installedVersion) > 0);
  return {
    packageId,
    installedVersion,
    latestVersion: followsPrereleases ? (offered[0]?.version ?? null) : defaultVersion(versions),
    updateAvailable: newerVersions.length > 0,
    installedStatus: versions.find((row) => row.version === installedVersion)?.status ?? null,
    newerVersions,
  };
}

/**
 * Refuses more than 500 inputs, versions that are not strict semantic versions and tenant ids
 * that are not tenant ids (as every `tenantId` argument), listing each.
 */
export function checkUpdateInputs(installed: readonly { packageId: string; version: string; tenantId?: string | null }[]): void {
  if (installed.length > MAX_UPDATE_INPUTS) {
    throw new BadUserInputError('Too many installed copies', [{ path: '$.installed', message: `At most ${MAX_UPDATE_INPUTS} per request` }]);
  }
  const problems: Problem[] = installed.flatMap(({ version, tenantId }, index) => [
    ...(parseVersion(version) === null ? [{ path: `$.installed[${index}].version`, message: 'Not a semantic version like 1.2.3 or 1.0.0-rc.1' }] : []),
    ...(tenantId != null && !isTenantId(tenantId) ? [{ path: `$.installed[${index}].tenantId`, message: 'is not a tenant id' }] : []),
  ]);
  if (problems.length > 0) throw new BadUserInputError('Invalid installed copies', problems);
}
