import { NotFoundError } from '../../common/errors';
import type { Em } from '../../infra/db/database';
import type { Scope } from '../access/scope';
import type { PackageRecord } from './package.model';
import type { PackageRepository } from './package.repository';
import { packageIdSchema } from './package.validation';
import { parseVersion } from './versioning';

/**
 * How a caller's reference to a package (its slug, in a tenant) becomes a row or NOT_FOUND, in one
 * place. A package id that is not a slug names no package: it is answered like an unknown one and
 * never reaches SQL (it may hold a NUL, which would fail the statement).
 */
export function isPackageSlug(packageId: string): boolean {
  return packageIdSchema.safeParse(packageId).success;
}

export const packageNotFound = (packageId: string): NotFoundError => new NotFoundError(`Package ${packageId} not found`);

export const versionNotFound = (packageId: string, version: string): NotFoundError => new NotFoundError(`Package ${packageId} version ${version} not found`);

/**
 * A package id that is no slug and a version that is no version name nothing: NOT_FOUND before
 * any SQL (either may hold a NUL). For install and its pre-flight.
 */
export function assertPackageAndVersionRef(packageId: string, version: string | null | undefined): void {
  if (!isPackageSlug(packageId)) throw packageNotFound(packageId);
  if (version != null && parseVersion(version) !== version) throw versionNotFound(packageId, JSON.stringify(version));
}

/** The package of `tenantId` the scope sees, or NOT_FOUND; `forUpdate` locks its row for the transaction. */
export async function visiblePackage(
  packages: PackageRepository,
  em: Em,
  scope: Scope,
  ref: { tenantId: string; packageId: string },
  forUpdate = false,
): Promise<PackageRecord> {
  const pkg = isPackageSlug(ref.packageId) ? await packages.findVisible(em, scope.rows, ref.tenantId, ref.packageId, forUpdate) : null;
  if (!pkg) throw packageNotFound(ref.packageId);
  return pkg;
}
