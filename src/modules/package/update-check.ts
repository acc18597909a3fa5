import { isTenantId } from '../../common/caller';
import { BadUserInputError, type Problem } from '../../common/errors';
import { defaultVersion, isPrerelease } from './default-version';
import { channelNameSchema } from './package.validation';
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

/** What a copy follows: its channel's version (null: `stable`, the default version), and `stable`'s pin. */
export interface Following {
  channelVersion: string | null;
  stablePin: string | null;
}

const STABLE_UNPINNED: Following = { channelVersion: null, stablePin: null };

/**
 * The answer for one installed copy, from the versions of its package the caller may see (`null`
 * when the package is unknown or invisible: both answer alike, so nothing leaks).
 * - What the copy follows bounds what it is offered: a copy installed from a channel is judged
 *   against that channel's version (the versions up to it); any other copy against `stable` (the
 *   versions that joined it, up to its pin when it was set by hand). A package that never used
 *   channels offers exactly what it did before channels.
 * - A copy installed at a release is offered releases only; one installed at a prerelease (or
 *   following a channel at a prerelease) has opted into prereleases and is offered every newer
 *   version. Withdrawn versions never.
 * - `newerVersions`: those versions above the installed one, newest first.
 * - `latestVersion`: the channel's version; else the package's default version (as
 *   `CatalogPackage.version`), or for a copy at a prerelease the highest version offered; null
 *   when nothing is installable.
 * - `installedStatus`: the installed version's status, null when that version does not exist.
 */
export function shapeUpdate<V extends { version: string; status: VersionStatus; inStable?: boolean }>(
  input: InstalledCopy,
  rows: readonly V[] | null,
  following: Following = STABLE_UNPINNED,
): Omit<UpdateAnswer<V>, 'quarantined' | 'quarantineReason'> {
  const { packageId, installedVersion } = input;
  const versions = rows ?? [];
  const { channelVersion, stablePin } = following;
  const stable = defaultVersion(versions, stablePin);
  // The highest version the copy may be offered, when bounded: its channel's, or a pin in force.
  const bound = channelVersion ?? (stablePin !== null && stablePin === stable ? stablePin : null);
  const inReach = (row: V) => (channelVersion !== null || row.inStable !== false) && (bound === null || compareVersions(row.version, bound) <= 0);
  const followsPrereleases = isPrerelease(installedVersion) || (channelVersion !== null && isPrerelease(channelVersion));
  const offered = versions
    .filter((row) => isInstallable(row.status) && inReach(row) && (followsPrereleases || !isPrerelease(row.version)))
    .sort((a, b) => compareVersions(b.version, a.version));
  const newerVersions = offered.filter((row) => compareVersions(row.version, installedVersion) > 0);
  return {
    packageId,
    installedVersion,
    latestVersion: channelVersion ?? (isPrerelease(installedVersion) ? (offered[0]?.version ?? null) : stable),
    updateAvailable: newerVersions.length > 0,
    installedStatus: versions.find((row) => row.version === installedVersion)?.status ?? null,
    newerVersions,
  };
}

/**
 * Refuses more than 500 inputs, versions that are not strict semantic versions, tenant ids
 * that are not tenant ids (as every `tenantId` argument) and channels that are no channel names, listing each.
 */
export function checkUpdateInputs(installed: readonly { packageId: string; version: string; tenantId?: string | null; channel?: string | null }[]): void {
  if (installed.length > MAX_UPDATE_INPUTS) {
    throw new BadUserInputError('Too many installed copies', [{ path: '$.installed', message: `At most ${MAX_UPDATE_INPUTS} per request` }]);
  }
  const problems: Problem[] = installed.flatMap(({ version, tenantId, channel }, index) => [
    ...(parseVersion(version) === null ? [{ path: `$.installed[${index}].version`, message: 'Not a semantic version like 1.2.3 or 1.0.0-rc.1' }] : []),
    ...(tenantId != null && !isTenantId(tenantId) ? [{ path: `$.installed[${index}].tenantId`, message: 'is not a tenant id' }] : []),
    ...(channel != null ? channelProblems(channel).map((message) => ({ path: `$.installed[${index}].channel`, message })) : []),
  ]);
  if (problems.length > 0) throw new BadUserInputError('Invalid installed copies', problems);
}

function channelProblems(channel: string): string[] {
  const parsed = channelNameSchema.safeParse(channel);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}
