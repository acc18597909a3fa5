import { CatalogError } from '../../common/errors';
import type { Scope } from '../access/scope';
import type { PackageRecord, VersionRecord } from './package.model';
import { versionNotFound } from './package-ref';
import { versionWithdrawnError, type VersionStatus } from './version-status';

/** Versions that are not released: staged for review, or rejected in it. */
export const UNRELEASED_STATUSES: readonly VersionStatus[] = ['staged', 'rejected'];

export function isUnreleased(status: VersionStatus): boolean {
  return UNRELEASED_STATUSES.includes(status);
}

/**
 * Whether the caller may know of the package's unreleased versions: its author and its reviewers
 * (the tenant's admins and holders of scaicore:approve in it). For everyone else they do not exist.
 */
export function readsUnreleased(access: Scope, pkg: PackageRecord): boolean {
  return access.may('package:readUnderReview', { pkg });
}

/**
 * Throws unless the version may be served (installed, checked, diffed, upgraded to) to this caller:
 * an unreleased version is NOT_FOUND for those who may not know of it; a rejected one is never
 * served; a withdrawn one is VERSION_WITHDRAWN unless `withdrawnToo`. A staged version is served
 * to its author and reviewers, who try it before it is approved.
 */
export function assertServable(access: Scope, pkg: PackageRecord, version: VersionRecord, options: { withdrawnToo?: boolean } = {}): void {
  if (isUnreleased(version.status) && !readsUnreleased(access, pkg)) throw versionNotFound(pkg.packageId, version.version);
  if (version.status === 'rejected') {
    throw new CatalogError(
      'ILLEGAL_STATE',
      `Version ${version.version} of ${pkg.packageId} was rejected in review: ${version.statusReason ?? 'no reason given'}`,
    );
  }
  if (version.status === 'withdrawn' && !options.withdrawnToo) throw versionWithdrawnError(pkg.packageId, version);
}
